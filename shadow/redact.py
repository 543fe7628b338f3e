"""Redaction: remove credentials from anything the parity store keeps.

Authorization, Cookie and Set-Cookie headers, and every field whose name mentions a
password, token or secret, are replaced by REDACTED at any depth; JWTs and
``Token``/``Bearer`` credentials inside free text are replaced too.
"""

from __future__ import annotations

import json
import re
from typing import Any

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
_SEGMENT = re.compile(r'\.([^.\[\]]+)|\["((?:[^"\\]|\\.)*)"\]')


def sensitive(name: str) -> bool:
    """Tell whether a header or field called ``name`` holds a credential."""
    lowered = name.lower()
    return lowered in SENSITIVE_NAMES or any(word in lowered for word in SENSITIVE_WORDS)


def redact(value: Any) -> Any:
    """Return a copy of ``value`` (JSON-like data) with credentials replaced."""
    if isinstance(value, dict):
        return {
            key: REDACTED if sensitive(str(key)) else redact(item) for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return _CREDENTIAL.sub(REDACTED, value)
    return value


def redact_difference(difference: Difference) -> Difference:
    """Return ``difference`` with its values redacted when its path names a credential."""
    names = [a or b for a, b in _SEGMENT.findall(difference.path)]
    if any(sensitive(name) for name in names):
        return Difference(
            difference.path,
            difference.kind,
            None if difference.control is None else REDACTED,
            None if difference.candidate is None else REDACTED,
        )
    return Difference(
        difference.path,
        difference.kind,
        redact_json_text(difference.control),
        redact_json_text(difference.candidate),
    )


def redact_json_text(text: str | None) -> str | None:
    """Redact a value shown as (possibly truncated) JSON text."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return _CREDENTIAL.sub(REDACTED, _JSON_FIELD.sub(rf'\1"{REDACTED}"', text))
    return json.dumps(redact(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
