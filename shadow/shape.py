"""Shape: what an ignore rule still checks about the value it forgives.

An ignore rule forgives a value, not its absence, its JSON type or its format. ``shape``
replaces a value by a description that two sides share when they agree on everything
but the value:

- null stays null (``token: null`` where the control has a token is a difference);
- true/false -> ``<boolean>``; a number -> ``<number>``; ``""`` -> ``<empty string>``;
- an ISO 8601 timestamp -> its format, digits as ``d`` (``<timestamp dddd-dd-ddTdd:dd:dd.dddZ>``):
  the same precision and zone style are required, not the same instant;
- a JWT -> its header (exactly), its claim names and JSON types, and its time claims
  (iat, nbf, exp) within ``TIME_TOLERANCE`` seconds of the other side's;
- any other string -> ``<string>``; objects and arrays keep their keys and length, each
  value shaped in turn.

A rule written ``any:<path>`` forgives anything, even absence (see shadow.rules).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from shadow.document import Duplicates, JsonBool, Marker, NonFinite, Number, canonical

TIME_TOLERANCE = 60.0  # seconds between the two sides' iat/nbf/exp claims
TIME_CLAIMS = ("iat", "nbf", "exp")
_JWT = re.compile(r"^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*$")
_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$"
)


class Shape(Marker):
    """The forgiven value's kind (and for a JWT, its header, claim types and times)."""

    __slots__ = ("kind", "times")

    def __init__(self, kind: str, times: dict[str, float] | None = None) -> None:
        self.kind = kind
        self.times = times or {}

    def key(self) -> Any:
        return self.kind

    @property
    def json_type(self) -> str:
        """The JSON type of the forgiven value: string, number or boolean."""
        first = self.kind.split(" ", 1)[0]
        return first if first in ("number", "boolean") else "string"

    def __eq__(self, other: object) -> bool:
        if type(other) is not Shape or other.kind != self.kind:
            return False
        return all(
            abs(self.times[name] - other.times[name]) <= TIME_TOLERANCE for name in self.times
        )

    __hash__ = Marker.__hash__

    def shown(self) -> str:
        if not self.times:
            return f"<{self.kind}>"
        times = " ".join(f"{name}={value:g}" for name, value in sorted(self.times.items()))
        return f"<{self.kind}; {times}>"


def shape(value: Any) -> Any:
    """Return what an ignore rule keeps of ``value`` (see the module docstring)."""
    kind = type(value)
    if value is None or isinstance(value, Shape | NonFinite):
        return value
    if kind is str:
        return _string(value)
    if kind is JsonBool:
        return Shape("boolean")
    if kind is int or kind is float or kind is Number:
        return Shape("number")
    if kind is dict:
        return {key: shape(item) for key, item in value.items()}
    if kind is list:
        return [shape(item) for item in value]
    if kind is Duplicates:
        return Duplicates([shape(item) for item in value.values])
    return value


def _string(text: str) -> Shape:
    if not text:
        return Shape("empty string")
    if _TIMESTAMP.match(text):
        return Shape("timestamp " + re.sub(r"\d", "d", text))
    if _JWT.match(text):
        token = _jwt(text)
        if token is not None:
            return token
    return Shape("string")


def _jwt(text: str) -> Shape | None:
    head, body, _ = text.split(".")
    header, claims = _segment(head), _segment(body)
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    times = {
        name: float(claims[name])
        for name in TIME_CLAIMS
        if isinstance(claims.get(name), int | float) and not isinstance(claims[name], bool)
    }
    types = " ".join(f"{name}:{_type(claims[name])}" for name in sorted(claims))
    return Shape(f"jwt {canonical(header)} {types}", times)


def _segment(text: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        return None


def _type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"
