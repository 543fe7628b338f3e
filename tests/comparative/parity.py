"""The comparison rules: when a legacy reply and a backend reply count as the same.

This module is the one place where differences are forgiven. Everything not listed here must
be identical: the status and its reason phrase, the body byte for byte (key order, spacing,
escaping, numbers, nulls), and the headers in COMPARED_HEADERS (present on both sides with
the same value, or absent on both).

Forgiven, with the reason:

1. **JWT signatures and times.** Each side signs its own tokens at its own instant, so
   ``iat``/``exp`` (and hence the signature) may differ by a second. Every token in a body is
   checked for format (HS256 header exactly as jsonwebtoken writes it, payload keys
   ``username, iat, exp, sub`` in that order, ``exp - iat`` = the TTL, a 43-character
   signature) and replaced by ``<jwt username=... sub=...>``: who it names must match.
2. **Timestamp values.** ``createdAt``/``updatedAt`` are set by each side's clock. Every
   JSON string that is an ISO-8601 UTC instant with milliseconds
   (``"2016-02-18T03:22:56.637Z"``) becomes ``"<timestamp>"``; any other format is a mismatch.
3. **ETag values follow the body.** When the raw bodies are identical the ETags must be
   identical; when they differ only by (1) or (2), the ETags must both be weak Express ETags
   with the same length part (``W/"<length hex>-<27 base64 chars>"``). HEAD and 304 replies
   carry no body, so for them too only the format and the length part are compared.
4. **Connection-level headers** (``Date``, ``Connection``, ``Keep-Alive``, ``Server``,
   ``Transfer-Encoding``) belong to the HTTP server (Node's http vs gunicorn), not to the API,
   and are not compared.
5. **``Content-Length: 0`` on 204 responses.** The ``cors`` package writes it on preflight
   answers; gunicorn removes it from every 204, as RFC 9110 section 8.6 requires ("a server
   MUST NOT send Content-Length in a response with status 204"). The backend's WSGI response
   carries it; the HTTP server in front decides. Both sides still must send no body.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

from tests.comparative.exchange import Reply

COMPARED_HEADERS = (
    "content-type",
    "content-length",
    "x-powered-by",
    "access-control-allow-origin",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "vary",
    "www-authenticate",
    "content-security-policy",
    "x-content-type-options",
)
JWT_HEADER = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"  # {"alg":"HS256","typ":"JWT"}
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_TIMESTAMP = re.compile(r'"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"')
_ETAG = re.compile(r'W/"([0-9a-f]+)-[A-Za-z0-9+/]{27}"')


@dataclass
class Mismatch:
    """One way the two replies differ."""

    what: str
    legacy: object
    backend: object

    def __str__(self) -> str:
        return f"{self.what}:\n    legacy:  {self.legacy!r}\n    backend: {self.backend!r}"


def normalise_body(body: bytes, ttl: int) -> str:
    """Return ``body`` as text with tokens and timestamp values replaced (rules 1 and 2)."""
    text = body.decode("utf-8", errors="backslashreplace")
    text = _JWT.sub(lambda match: _describe_token(match.group(0), ttl), text)
    return _TIMESTAMP.sub('"<timestamp>"', text)


def _describe_token(token: str, ttl: int) -> str:
    header, payload, signature = token.split(".")
    if header != JWT_HEADER or not re.fullmatch(r"[A-Za-z0-9_-]{43}", signature):
        return f"<malformed jwt {token}>"
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        issued = list(claims) == ["username", "iat", "exp", "sub"]
        issued = issued and claims["exp"] - claims["iat"] == ttl
    except (ValueError, TypeError):  # a hand-made token, echoed back: compared as it is
        return f"<jwt {token}>"
    if not issued:
        return f"<jwt with unexpected claims {claims}>"
    return f"<jwt username={claims['username']} sub={claims['sub']}>"


def compare(legacy: Reply, backend: Reply, *, ttl: int) -> list[Mismatch]:
    """Return every difference between the two replies that the rules do not forgive."""
    mismatches = []
    if (legacy.status, legacy.reason) != (backend.status, backend.reason):
        mismatches.append(Mismatch("status", f"{legacy.status} {legacy.reason}",
                                   f"{backend.status} {backend.reason}"))
    for name in COMPARED_HEADERS:
        if name == "content-length" and legacy.status == backend.status == 204:
            if {legacy.header(name), backend.header(name)} <= {None, "0"}:
                continue
        if legacy.header(name) != backend.header(name):
            mismatches.append(Mismatch(f"header {name}", legacy.header(name), backend.header(name)))
    legacy_body = normalise_body(legacy.body, ttl)
    backend_body = normalise_body(backend.body, ttl)
    if legacy_body != backend_body:
        mismatches.append(Mismatch("body", legacy_body, backend_body))
    mismatches.extend(_compare_etags(legacy, backend))
    return mismatches


def _compare_etags(legacy: Reply, backend: Reply) -> list[Mismatch]:
    legacy_etag, backend_etag = legacy.header("etag"), backend.header("etag")
    same_visible_body = legacy.body == backend.body and legacy.body != b""
    if same_visible_body or legacy_etag is None or backend_etag is None:
        if legacy_etag != backend_etag:
            return [Mismatch("header etag", legacy_etag, backend_etag)]
        return []
    legacy_match, backend_match = _ETAG.fullmatch(legacy_etag), _ETAG.fullmatch(backend_etag)
    if not legacy_match or not backend_match or legacy_match[1] != backend_match[1]:
        return [Mismatch("header etag (format or length)", legacy_etag, backend_etag)]
    return []
