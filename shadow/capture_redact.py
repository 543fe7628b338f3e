"""Redaction of captured exchanges before they are stored (shadow.capture).

Uses shadow.redact's rules (Authorization, Cookie, Set-Cookie, fields naming a password, token
or secret, JWTs in text) plus the route's ``redact:`` paths, on request and response headers,
bodies, query strings and environ. Passwords, cookies and secrets become ``[REDACTED]``; a
token (an Authorization value, a ``token`` field, a JWT) becomes a pseudonym
``[REDACTED:<16 hex>]``, the start of its SHA-256: the same token gives the same pseudonym
everywhere, so a replay can tell which captured request used the token a captured login
returned (docs/replay.md), and nothing of the token itself is kept.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from shadow.observation import Observation
from shadow.paths import FieldPath
from shadow.record import Record
from shadow.redact import REDACTED, redact, redact_text, sensitive

PSEUDONYM = re.compile(r"\[REDACTED:([0-9a-f]{16})\]")
_SCHEME = re.compile(r"^((?:Token|Bearer)\s+)(.+)$", re.IGNORECASE | re.DOTALL)
_URI_KEYS = ("RAW_URI", "REQUEST_URI")
HEADERS = ("key", "headers")
_SECRET_WORDS = ("password", "passwd", "secret", "cookie")


def pseudonym(secret: str) -> str:
    """Return the pseudonym of a token: ``[REDACTED:`` + 16 hex of its SHA-256 + ``]``."""
    return f"[REDACTED:{hashlib.sha256(secret.encode('utf-8')).hexdigest()[:16]}]"


def mask(name: str, value: str) -> str:
    """Replace one credential: passwords, secrets and cookies by REDACTED, tokens by a
    pseudonym (an Authorization scheme such as ``Token`` is kept in front of it)."""
    lowered = name.lower()
    if any(word in lowered for word in _SECRET_WORDS):
        return REDACTED
    if PSEUDONYM.fullmatch(value.split()[-1] if value.split() else value):
        return value  # already a pseudonym (an imported capture redacted again)
    scheme = _SCHEME.match(value)
    if scheme:
        return scheme[1] + pseudonym(scheme[2].strip())
    return pseudonym(value)


def redact_record(record: Record, paths: Sequence[FieldPath] = ()) -> Record:
    """Return ``record`` with every credential (and each of ``paths``) replaced."""
    exchange = record.exchange
    named = frozenset(step[1] for p in paths for step in p.steps[1:2] if p.steps[0] == HEADERS)
    body = _redact_body(exchange.body, exchange.headers, paths)
    headers = _fix_length(_redact_headers(exchange.headers, named), exchange.body, body)
    exchange = replace(
        exchange, headers=headers, body=body, target=_redact_target(exchange.target),
        environ=tuple((key, _redact_environ(key, value)) for key, value in exchange.environ),
    )
    control = record.control
    if control is not None and control.exception is None:
        pairs = _pairs(control.headers)
        control_body = _redact_body(control.body, pairs, paths) or b""
        control = Observation(control.status, _fix_length(_redact_headers(pairs, named),
                                                          control.body, control_body),
                              control_body, control.duration)
    return Record(exchange, control, record.table_version)


def _pairs(headers: Any) -> tuple[tuple[str, str], ...]:
    items = headers.items() if hasattr(headers, "items") else headers
    return tuple((str(name), str(value)) for name, value in items)


def _redact_headers(headers: Sequence[tuple[str, str]],
                    named: frozenset[str] = frozenset()) -> tuple[tuple[str, str], ...]:
    out = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in named:  # a ``headers.<name>`` path of the policy's ``redact``
            value = REDACTED
        elif lowered == "set-cookie":
            value = _redact_set_cookie(value)
        elif lowered == "cookie":
            value = REDACTED
        elif sensitive(lowered):
            value = mask(lowered, value)
        else:
            value = redact_text(value, mask=mask)
        out.append((name, value))
    return tuple(out)


def _redact_set_cookie(value: str) -> str:
    """Keep a Set-Cookie's name and attributes (what shadow compares), not its value."""
    first, semicolon, attributes = value.partition(";")
    name, equals, _ = first.partition("=")
    return f"{name}{equals}{REDACTED if equals else ''}{semicolon}{attributes}"


def _redact_target(target: str) -> str:
    path, question, query = target.partition("?")
    if not question:
        return redact_text(path, mask=mask)
    return redact_text(path, mask=mask) + "?" + _redact_query(query)


def _redact_query(query: str) -> str:
    pairs = [(key, mask(key, value) if sensitive(key) else redact_text(value, mask=mask))
             for key, value in parse_qsl(query, keep_blank_values=True)]
    return urlencode(pairs, safe="[]:")


def _redact_environ(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key == "QUERY_STRING":
        return _redact_query(value)
    if key in _URI_KEYS:
        return _redact_target(value)
    return mask(key, value) if sensitive(key) else redact_text(value, mask=mask)


def _redact_body(body: bytes | None, headers: Sequence[tuple[str, str]],
                 paths: Sequence[FieldPath]) -> bytes | None:
    if not body:
        return body
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        document = None
    else:
        cleaned = {"body": redact(document, mask=mask)}
        for path in paths:
            for container, key in path.locate(cleaned):
                if isinstance(container, dict | list):
                    container[key] = REDACTED
        return json.dumps(cleaned["body"], ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
    text = body.decode("utf-8", errors="replace")
    if _form(headers):
        pairs = [(key, mask(key, value) if sensitive(key) else redact_text(value, mask=mask))
                 for key, value in parse_qsl(text, keep_blank_values=True)]
        return urlencode(pairs, safe="[]:").encode("utf-8")
    return redact_text(text, mask=mask).encode("utf-8")


def _form(headers: Sequence[tuple[str, str]]) -> bool:
    return any(name.lower() == "content-type" and "form-urlencoded" in value.lower()
               for name, value in headers)


def _fix_length(headers: tuple[tuple[str, str], ...], before: bytes | None,
                after: bytes | None) -> tuple[tuple[str, str], ...]:
    """Keep Content-Length true to the redacted body (a replay sends that body)."""
    if before == after:
        return headers
    size = str(len(after or b""))
    return tuple((name, size if name.lower() == "content-length" else value)
                 for name, value in headers)
