"""Redaction: remove credentials from anything the parity store keeps.

Authorization, Cookie and Set-Cookie headers, and every field whose name mentions a
password, token or secret, are replaced by REDACTED at any depth; JWTs and
``Token``/``Bearer`` credentials inside free text are replaced too.

Error messages are not credentials: below an ``errors``/``error``/``message(s)`` field a
name such as ``password`` or ``email or password`` labels a message (``is invalid``), so it
is kept and only credential patterns inside the text are replaced; otherwise a changed
message would read ``[REDACTED]`` on both sides. A Set-Cookie difference as the comparator
writes it (names and attributes, values already dropped as ``name=…``) is kept too, and so
is the shape an ignore rule left of a credential (``<jwt ... sub:string ...>`` vs ``null``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from shadow.document import canonical, parse_json
from shadow.observation import Difference

REDACTED = "[REDACTED]"
SENSITIVE_NAMES = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
SENSITIVE_WORDS = ("password", "passwd", "token", "secret")
_CREDENTIAL = re.compile(
    r"eyJ[\w-]+\.[\w-]+\.[\w-]*"  # a JWT
    r"|\b(?:Token|Bearer)\s+[\w.~+/=-]+",
)
_JSON_FIELD = re.compile(
    r'("[^"]*(?:password|passwd|token|secret|authorization|cookie)[^"]*"\s*:\s*)'
    r'("(?:[^"\\]|\\.)*"?)',
    re.IGNORECASE,
)
MESSAGE_NAMES = frozenset({"errors", "error", "message", "messages"})
_SEGMENT = re.compile(r'\.([^.\[\]]+)|\["((?:[^"\\]|\\.)*)"\]')


def sensitive(name: str) -> bool:
    """Tell whether a header or field called ``name`` holds a credential."""
    lowered = name.lower()
    return lowered in SENSITIVE_NAMES or any(word in lowered for word in SENSITIVE_WORDS)


# How a credential is replaced: ``mask(name, value)`` gets the field or header name ("" for
# a credential found in free text) and the string it held; None means REDACTED everywhere.
Mask = Callable[[str, str], str]


def redact(value: Any, *, messages: bool = False, mask: Mask | None = None) -> Any:
    """Return a copy of ``value`` (JSON-like data) with credentials replaced.

    Inside an errors/message field (``messages``) names no longer mark credentials. ``mask``
    (capture's pseudonyms, shadow.capture) chooses the replacement of each string credential.
    """
    if isinstance(value, dict):
        return {
            key: _masked(str(key), item, mask)
            if not messages and sensitive(str(key))
            else redact(item, messages=messages or str(key).lower() in MESSAGE_NAMES, mask=mask)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item, messages=messages, mask=mask) for item in value]
    if isinstance(value, str):
        return redact_text(value, mask=mask)
    return value


def redact_text(text: str, *, mask: Mask | None = None) -> str:
    """Replace the credentials (JWTs, ``Token``/``Bearer`` values) found in free text."""
    if mask is None:
        return _CREDENTIAL.sub(REDACTED, text)
    return _CREDENTIAL.sub(lambda found: mask("", found.group()), text)


def _masked(name: str, item: Any, mask: Mask | None) -> Any:
    if mask is not None and isinstance(item, str):
        return mask(name, item)
    return REDACTED


def _credential_path(names: list[str]) -> bool:
    for name in names:
        if name.lower() in MESSAGE_NAMES:
            return False
        if sensitive(name):
            return True
    return False


SHAPES = ("<jwt ", "<string>", "<empty string>", "<number>", "<boolean>", "<timestamp ")


def _shape_text(text: str | None) -> bool:
    """Tell whether a shown value is absent, null or the shape of a forgiven value."""
    return text is None or text == "null" or (text.startswith(SHAPES) and text.endswith(">"))


def _cookie_shapes(text: str | None) -> bool:
    """Tell whether ``text`` is a Set-Cookie as clean writes it: no cookie values left."""
    if text is None:
        return True
    try:
        value = json.loads(text)
    except ValueError:
        return False
    if not isinstance(value, str):
        return False
    for cookie in value.split(" | "):
        first = cookie.split(";", 1)[0]
        _, equals, rest = first.partition("=")
        if equals and rest not in ("", "…"):
            return False
    return True


def redact_difference(difference: Difference) -> Difference:
    """Return ``difference`` with its values redacted when its path names a credential."""
    names = [a or b for a, b in _SEGMENT.findall(difference.path)]
    cookie = difference.path == "headers.set-cookie"
    if cookie and _cookie_shapes(difference.control) and _cookie_shapes(difference.candidate):
        return difference
    if _credential_path(names):
        if _shape_text(difference.control) and _shape_text(difference.candidate):
            return difference  # a forgiven credential's shape (shadow.shape) holds no secret
        return Difference(
            difference.path,
            difference.kind,
            None if difference.control is None else REDACTED,
            None if difference.candidate is None else REDACTED,
        )
    messages = any(name.lower() in MESSAGE_NAMES for name in names)
    return Difference(
        difference.path,
        difference.kind,
        redact_json_text(difference.control, messages=messages),
        redact_json_text(difference.candidate, messages=messages),
    )


def redact_json_text(text: str | None, *, messages: bool = False) -> str | None:
    """Redact a value shown as (possibly truncated) JSON text (``messages``: see redact)."""
    if text is None:
        return None
    try:
        value = parse_json(text)  # exact numbers: 1.0000000000000001 must not become 1.0
    except (ValueError, RecursionError):
        return _CREDENTIAL.sub(REDACTED, _JSON_FIELD.sub(rf'\1"{REDACTED}"', text))
    return canonical(redact(value, messages=messages))
