"""A recorded exchange: one mirrored request and the control's answer, as versioned JSON.

This is the one serialised form of the unit shadow mode works on. It is what a queued
exchange carries (sealed) to a shadow worker and what a captured exchange is stored and
exported as, so a stored, exported, queued or replayed exchange reads the same everywhere.

Format (``"v": 1``), one JSON object::

    {"v": 1,
     "exchange": {"route", "method", "request_id", "path", "target",
                  "headers": [[name, value], ...], "environ": [[key, scalar], ...],
                  "control_side", "started", "body": base64 | null,
                  "resources": [...], "write": int | null, "table_version": str | null},
     "control": {"status": int | null, "headers": [[name, value], ...],
                 "body": base64, "duration": float | null, "error": str | null,
                 "reason": str | null} | null}

Bytes are standard base64. ``control.error`` names the control's exception class (an
observation that failed carries no response); ``control.reason`` is the status line's
phrase as sent (absent or null: not known, and then not compared). A document of another
version, or one whose fields have the wrong types, is refused with ``RecordError`` naming
the field.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from shadow.exchange import Exchange
from shadow.observation import Observation

VERSION = 1


class RecordError(ValueError):
    """A recorded exchange that cannot be read (wrong version, field or type)."""


class ControlFailed(Exception):
    """The control's exception, as far as a recording keeps it: its class name."""


@dataclass(frozen=True, slots=True)
class Record:
    """One exchange and the control's observation of it (None: not observed yet)."""

    exchange: Exchange
    control: Observation | None = None
    table_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the record as JSON-ready data in the versioned format."""
        ex = self.exchange
        return {
            "v": VERSION,
            "exchange": {
                "route": ex.route,
                "method": ex.method,
                "request_id": ex.request_id,
                "path": ex.path,
                "target": ex.target,
                "headers": [[name, value] for name, value in ex.headers],
                "environ": [[key, value] for key, value in ex.environ],
                "control_side": ex.control_side,
                "started": ex.started,
                "body": _b64(ex.body),
                "resources": list(ex.resources),
                "write": ex.write,
                "table_version": self.table_version,
            },
            "control": None if self.control is None else _observation(self.control),
        }

    def to_json(self) -> bytes:
        """Return the record as compact UTF-8 JSON."""
        return json.dumps(self.to_dict(), separators=(",", ":"),
                          ensure_ascii=False).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes | str) -> Record:
        """Read a record written by ``to_json`` (raises RecordError)."""
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise RecordError(f"not JSON: {exc}") from None
        return cls.from_dict(doc)

    @classmethod
    def from_dict(cls, doc: Any) -> Record:
        """Read a record from its JSON data (raises RecordError naming the bad field)."""
        if not isinstance(doc, Mapping):
            raise RecordError("a record is a JSON object")
        if doc.get("v") != VERSION:
            raise RecordError(f"v: version {doc.get('v')!r} is not {VERSION}")
        ex = _field(doc, "exchange", Mapping, "")
        exchange = Exchange(
            route=_field(ex, "route", str, "exchange."),
            method=_field(ex, "method", str, "exchange."),
            request_id=_field(ex, "request_id", (str, type(None)), "exchange."),
            path=_field(ex, "path", str, "exchange."),
            target=_field(ex, "target", str, "exchange."),
            headers=_pairs(ex, "headers", "exchange."),
            environ=tuple((k, v) for k, v in _pairs(ex, "environ", "exchange.", scalar=True)),
            control_side=_side(_field(ex, "control_side", str, "exchange.")),
            started=float(_field(ex, "started", (int, float), "exchange.")),
            body=_unb64(ex, "body", "exchange.", optional=True),
            resources=tuple(_strings(ex, "resources", "exchange.")),
            write=_field(ex, "write", (int, type(None)), "exchange."),
        )
        control_doc = doc.get("control")
        control = None if control_doc is None else _read_observation(control_doc)
        version = _field(ex, "table_version", (str, type(None)), "exchange.", required=False)
        return cls(exchange, control, version)


def _observation(observation: Observation) -> dict[str, Any]:
    headers = observation.headers
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    exc = observation.exception
    return {
        "status": observation.status,
        "headers": [[name, value] for name, value in pairs],
        "body": _b64(observation.body),
        "duration": observation.duration,
        "error": None if exc is None else type(exc).__name__,
        "reason": observation.reason,
    }


def _read_observation(doc: Any) -> Observation:
    if not isinstance(doc, Mapping):
        raise RecordError("control: an object or null")
    error = _field(doc, "error", (str, type(None)), "control.")
    duration = _field(doc, "duration", (int, float, type(None)), "control.")
    duration = None if duration is None else float(duration)
    if error is not None:
        return Observation.failed(ControlFailed(error), duration)
    return Observation(
        status=_field(doc, "status", (int, type(None)), "control."),
        headers=_pairs(doc, "headers", "control."),
        body=_unb64(doc, "body", "control.") or b"",
        duration=duration,
        reason=_field(doc, "reason", (str, type(None)), "control.", required=False),
    )


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _unb64(doc: Mapping[str, Any], name: str, where: str, optional: bool = False) -> bytes | None:
    value = _field(doc, name, (str, type(None)) if optional else str, where)
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise RecordError(f"{where}{name}: not base64") from None


def _field(doc: Mapping[str, Any], name: str, types: Any, where: str,
           required: bool = True) -> Any:
    if name not in doc:
        if required:
            raise RecordError(f"{where}{name}: missing")
        return None
    value = doc[name]
    # bool is an int to isinstance; no field here takes a boolean where it wants a number.
    if isinstance(value, bool) and bool not in _as_tuple(types) or not isinstance(value, types):
        raise RecordError(f"{where}{name}: wrong type {type(value).__name__}")
    return value


def _as_tuple(types: Any) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _pairs(doc: Mapping[str, Any], name: str, where: str,
           scalar: bool = False) -> tuple[tuple[str, Any], ...]:
    value = _field(doc, name, list, where)
    allowed = (str, bool, int, float) if scalar else (str,)
    out = []
    for item in value:
        if (not isinstance(item, list) or len(item) != 2 or not isinstance(item[0], str)
                or not isinstance(item[1], allowed)):
            raise RecordError(f"{where}{name}: each item is a [name, value] pair")
        out.append((item[0], item[1]))
    return tuple(out)


def _strings(doc: Mapping[str, Any], name: str, where: str) -> list[str]:
    value = _field(doc, name, list, where)
    if not all(isinstance(item, str) for item in value):
        raise RecordError(f"{where}{name}: a list of strings")
    return value


def _side(side: str) -> str:
    if side not in ("legacy", "flask"):
        raise RecordError(f"exchange.control_side: {side!r} is not legacy or flask")
    return side
