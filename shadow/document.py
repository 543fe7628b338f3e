"""JSON values for comparison, where Python's ``==`` is exactly JSON equality.

Python says ``True == 1`` and ``1 == 1.0``; and a float cannot tell ``1.0000000000000001``
from ``1``. For parity, ``1`` and ``1.0`` are the same JSON number, but ``true`` is not ``1``
and numbers are decimal values. So parsed documents keep:

- integral numbers as ``int`` (``1``, ``1.0``, ``1e2`` and ``9007199254740993.0`` are ints);
- other numbers as ``float`` when the float's shortest text is the same decimal value
  (C-speed ``==`` for the usual ``2.5``), else as ``Number``, an exact Decimal;
- numbers that are not finite doubles (``Infinity``, ``NaN``, ``1e400``) as ``NonFinite``:
  equal only to the same literal, shown as themselves (a browser cannot read them back);
- booleans as the singletons TRUE and FALSE, which equal nothing but themselves;
- an object with a repeated key as that key bound to ``Duplicates`` (every value, in order),
  so ``{"a":1,"a":2}`` differs from ``{"a":2}`` at ``body.a``.

Then a whole document compares with one C-speed ``==``; ``canonical`` writes the one JSON
text (stored bodies) and ``shown`` the text of one value in a difference.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from json.encoder import encode_basestring as _encode_string  # the C accelerator if built
from typing import Any

# Integral numbers up to this many digits become ints; longer ones stay exact Decimals.
MAX_INT_DIGITS = 40
_DOUBLE_MAX = Decimal("1.7976931348623157e308")


class JsonBool:
    """A JSON boolean that is not a number."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "true" if self.value else "false"


TRUE, FALSE = JsonBool(True), JsonBool(False)


class Number(Decimal):
    """A JSON number no float holds exactly (``1.0000000000000001``): compared as a decimal.

    Decimal == float compares with the float's binary value; here a float counts as the
    decimal its shortest text says (``0.1`` is one tenth), as it did when it was parsed.
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, float):
            return math.isfinite(other) and Decimal.__eq__(self, Decimal(repr(other)))
        if isinstance(other, JsonBool | Marker):
            return False
        return Decimal.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = Decimal.__hash__

    def text(self) -> str:
        return str(self.normalize()).replace("E+", "e").replace("E", "e")


class Marker:
    """A value that is not plain JSON data: equal to another of its class with the same key."""

    __slots__ = ()

    def key(self) -> Any:
        raise TypeError(type(self).__name__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.key() == self.key()

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((type(self).__name__, canonical(self)))

    def json(self) -> str:
        """The JSON text written for this value inside a stored document."""
        return _encode_string(self.shown())

    def shown(self) -> str:
        """The text shown for this value in a difference."""
        raise TypeError(type(self).__name__)

    def __repr__(self) -> str:
        return self.shown()


class NonFinite(Marker):
    """``Infinity``, ``-Infinity``, ``NaN`` or a number beyond a double (``1e400``)."""

    __slots__ = ("literal",)

    def __init__(self, literal: str) -> None:
        self.literal = literal

    def key(self) -> Any:
        return self.literal

    def json(self) -> str:
        return self.literal  # Python's json.loads reads it back (as inf or nan)

    def shown(self) -> str:
        return f"{self.literal} (not a finite JSON number)"


class Duplicates(Marker):
    """The values of a key an object repeats, in order (JSON.parse keeps the last)."""

    __slots__ = ("values",)

    def __init__(self, values: list[Any]) -> None:
        self.values = values

    def key(self) -> Any:
        return self.values

    def json(self) -> str:
        return canonical(self.values[-1])  # the key is written once per value by canonical

    def shown(self) -> str:
        return f"<duplicate key: {', '.join(shown(v) for v in self.values)}>"


class EmptyBody(Marker):
    """No body at all: unlike the JSON text ``""``."""

    __slots__ = ()

    def key(self) -> Any:
        return None

    def json(self) -> str:
        return '""'

    def shown(self) -> str:
        return "<empty body>"


EMPTY_BODY = EmptyBody()
_ENCODER = json.JSONEncoder(
    sort_keys=True,
    separators=(",", ":"),
    ensure_ascii=False,
    check_circular=False,
    allow_nan=True,
    default=lambda value: _default(value),
)


class _Exotic(Exception):
    """A value the C encoder cannot write: fall back to the Python writer."""


def _default(value: Any) -> Any:
    if isinstance(value, JsonBool):
        return value.value
    raise _Exotic


def parse_json(text: str) -> Any:
    """Parse JSON text into comparable values (see the module docstring)."""
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
    if kind is float:
        return float.__repr__(value)
    if kind is dict or kind is list:
        try:
            return _ENCODER.encode(value)
        except _Exotic:
            return _write(value)
    return _write(value)


def shown(value: Any) -> str:
    """Return the text of one value in a difference (markers as words, not JSON)."""
    if isinstance(value, Marker):
        return value.shown()
    return canonical(value)


def _write(value: Any) -> str:
    if isinstance(value, Marker):
        return value.json()
    if isinstance(value, Number):
        return value.text()
    if isinstance(value, dict):
        parts = []
        for key in sorted(value):
            item = value[key]
            name = _encode_string(key)
            if isinstance(item, Duplicates):
                parts += [f"{name}:{_write(v)}" for v in item.values]
            else:
                parts.append(f"{name}:{_write(item)}")
        return "{" + ",".join(parts) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_write(item) for item in value) + "]"
    if isinstance(value, JsonBool):
        return "true" if value.value else "false"
    try:
        return _ENCODER.encode(value)  # plain Python values (bool, float subclasses, ...)
    except _Exotic:
        return _encode_string(str(value))


def plain(value: Any) -> Any:
    """Return ``value`` with TRUE/FALSE turned back into Python booleans, markers as text."""
    if isinstance(value, JsonBool):
        return value.value
    if isinstance(value, Marker):
        return value.shown()
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Inlined _strict: this runs for every JSON object parsed.
    result = {
        key: value
        if value is not True and value is not False and type(value) is not list
        else _strict(value)
        for key, value in pairs
    }
    if len(result) != len(pairs):
        seen: dict[str, list[Any]] = {}
        for key, value in pairs:
            seen.setdefault(key, []).append(_strict(value))
        for key, values in seen.items():
            if len(values) > 1:
                result[key] = Duplicates(values)
    return result


def _strict(value: Any) -> Any:
    if value is True:
        return TRUE
    if value is False:
        return FALSE
    if type(value) is list:
        return [_strict(item) for item in value]
    return value


def _number(text: str) -> Any:
    """Read a JSON number with a fraction or exponent as its exact decimal value."""
    try:
        exact = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the scanner only passes JSON numbers
        return NonFinite(text)
    if abs(exact) > _DOUBLE_MAX:
        return NonFinite(text)
    if exact == exact.to_integral_value() and exact.adjusted() < MAX_INT_DIGITS:
        return int(exact)
    as_float = float(exact)
    if as_float != 0.0 and Decimal(repr(as_float)) == exact:
        return as_float
    return Number(exact)


def _constant(text: str) -> NonFinite:
    return NonFinite(text)


_DECODER = json.JSONDecoder(
    parse_float=_number, object_pairs_hook=_object, parse_constant=_constant
)
