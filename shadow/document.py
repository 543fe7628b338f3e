"""JSON values for comparison, where Python's ``==`` is exactly JSON equality.

Python says ``True == 1`` and ``1 == 1.0``. For parity, ``1`` and ``1.0`` are the same JSON
number but ``true`` is not ``1``. So parsed documents keep integral numbers as ``int`` and
booleans as the singletons TRUE and FALSE, which equal nothing but themselves. Then a
whole document compares with one C-speed ``==``, and ``canonical`` writes the one JSON text.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as _encode_string  # the C accelerator if built
from typing import Any


class JsonBool:
    """A JSON boolean that is not a number."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "true" if self.value else "false"


TRUE, FALSE = JsonBool(True), JsonBool(False)
_ENCODER = json.JSONEncoder(
    sort_keys=True,
    separators=(",", ":"),
    ensure_ascii=False,
    default=lambda value: value.value if isinstance(value, JsonBool) else str(value),
)


def parse_json(text: str) -> Any:
    """Parse JSON text into comparable values (integral numbers as int, TRUE/FALSE)."""
    return _strict(_DECODER.decode(text))


def canonical(value: Any) -> str:
    """Return the one JSON text of ``value``: sorted keys, no spaces."""
    kind = type(value)
    if kind is str:
        return _encode_string(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is JsonBool:
        return "true" if value.value else "false"
    return _ENCODER.encode(value)


def plain(value: Any) -> Any:
    """Return ``value`` with TRUE/FALSE turned back into Python booleans."""
    if isinstance(value, JsonBool):
        return value.value
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Inlined _strict: this runs for every JSON object parsed.
    return {
        key: value
        if value is not True and value is not False and type(value) is not list
        else _strict(value)
        for key, value in pairs
    }


def _strict(value: Any) -> Any:
    if value is True:
        return TRUE
    if value is False:
        return FALSE
    if type(value) is list:
        return [_strict(item) for item in value]
    return value


def _number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 2**63 else value


_DECODER = json.JSONDecoder(parse_float=_number, object_pairs_hook=_object)
