"""Legacy's validation vocabulary: blank, string, lengths, U+0000, formats.

Each rule returns the first failing message for one field, or None when the value is fine.
"""

from __future__ import annotations

import re
from typing import Any

BLANK = "can't be blank"
NOT_STRING = "must be a string"
NUL = "contains invalid characters"
INVALID = "is invalid"
TAKEN = "has already been taken"
NOT_OBJECT = "must be an object"

# What JavaScript's String.prototype.trim() strips (WhiteSpace and LineTerminator).
JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
USERNAME = re.compile(r"[A-Za-z0-9_.-]+")
EMAIL = re.compile(r"[^@ \t\n\r\f\v]+@[^@ \t\n\r\f\v]+\.[^@ \t\n\r\f\v]+")

MISSING = object()
"""The value of a field that is absent from the request."""


def js_trim(text: str) -> str:
    """Strip white space the way JavaScript's ``trim()`` does."""
    return text.strip(JS_WHITESPACE)


def decimal_value(digits: str) -> int | float:
    """Return ``Number(digits)`` for a run of decimal digits, exact up to ten digits.

    Longer values (after leading zeros) exceed every bound the API checks against, so they
    come back as infinity instead of converting thousands of digits.
    """
    significant = digits.lstrip("0")
    return int(significant or "0") if len(significant) <= 10 else float("inf")


def is_blank(value: Any) -> bool:
    """Tell whether ``value`` is null, absent or a string that is empty once trimmed."""
    return value is None or value is MISSING or (isinstance(value, str) and not js_trim(value))


def too_long(maximum: int) -> str:
    return f"is too long (maximum is {maximum} characters)"


def required_text(
    value: Any, *, max_length: int | None = None, pattern: re.Pattern[str] | None = None
) -> str | None:
    """Check a required string: blank, type, length, U+0000, then format."""
    if is_blank(value):
        return BLANK
    if not isinstance(value, str):
        return NOT_STRING
    if max_length is not None and len(value) > max_length:
        return too_long(max_length)
    if "\x00" in value:
        return NUL
    if pattern is not None and not pattern.fullmatch(value):
        return INVALID
    return None


def optional_text(value: Any, *, max_length: int | None = None) -> str | None:
    """Check a nullable string: type, length, U+0000."""
    if value is None or value is MISSING:
        return None
    if not isinstance(value, str):
        return NOT_STRING
    if max_length is not None and len(value) > max_length:
        return too_long(max_length)
    if "\x00" in value:
        return NUL
    return None


def password(value: Any) -> str | None:
    """Check a password: blank, type, at least 8 characters, at most 72 UTF-8 bytes, U+0000."""
    if is_blank(value):
        return BLANK
    if not isinstance(value, str):
        return NOT_STRING
    if len(value) < 8:
        return "is too short (minimum is 8 characters)"
    if len(value.encode("utf-8")) > 72:
        return "is too long (maximum is 72 bytes)"
    if "\x00" in value:
        return NUL
    return None


def username(value: Any) -> str | None:
    return required_text(value, max_length=64, pattern=USERNAME)


def email(value: Any) -> str | None:
    return required_text(value, max_length=254, pattern=EMAIL)


def wrapper(body: Any, name: str) -> dict[str, Any] | None:
    """Return ``body[name]`` when it is a JSON object, else None (``must be an object``)."""
    value = body.get(name) if isinstance(body, dict) else None
    return value if isinstance(value, dict) else None
