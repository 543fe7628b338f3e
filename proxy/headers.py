"""Header rules for a proxy (RFC 9110 section 7.6): hop-by-hop, Via, X-Forwarded-*."""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
    "te", "trailer", "transfer-encoding", "upgrade",
})
INTERNAL_PREFIX = "x-strangler-"
FORWARDED = frozenset({"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded",
                       "x-real-ip"})
# The server in front (gunicorn) always writes its own Date and Server, as nginx does.
REPLACED_BY_SERVER = frozenset({"date", "server"})
VIA = "1.1 strangler"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")


# The peers whose X-Real-IP is believed: FORWARDED_ALLOW_IPS, set once per process by
# proxy.create_app from its settings (``trust``), never read from the environment per request.
_trusted_peers: frozenset[str] = frozenset()


def trust(allowed: str) -> None:
    """Believe X-Real-IP from the FORWARDED_ALLOW_IPS addresses in ``allowed`` ("*": any)."""
    global _trusted_peers
    _trusted_peers = frozenset(entry.strip() for entry in allowed.split(",") if entry.strip())


def _trusted(peer: str) -> bool:
    return "*" in _trusted_peers or peer in _trusted_peers


def client_address(environ: Mapping[str, Any]) -> str:
    """Return the client's address: the peer's, or X-Real-IP when the peer is trusted.

    Behind nginx (proxy/edge_routes.py) every peer is nginx, which sets X-Real-IP to
    the real client; the proxy believes it only from peers in FORWARDED_ALLOW_IPS (the same
    setting gunicorn trusts X-Forwarded-Proto from). From anyone else it is dropped.
    """
    peer = str(environ.get("REMOTE_ADDR", ""))
    real = str(environ.get("HTTP_X_REAL_IP", "")).strip()
    if not real or not _trusted(peer):
        return peer
    try:
        return str(ipaddress.ip_address(real))
    except ValueError:
        return peer


def request_id(environ: Mapping[str, Any]) -> str:
    """Return the client's X-Request-ID if sane, else a new one."""
    given = environ.get("HTTP_X_REQUEST_ID", "")
    return given if _REQUEST_ID.match(given) else uuid.uuid4().hex


def connection_tokens(value: str) -> set[str]:
    """Return the header names a Connection header lists (they are hop-by-hop too)."""
    return {token.strip().lower() for token in value.split(",") if token.strip()}


def upstream_headers(environ: Mapping[str, Any], rid: str) -> dict[str, str]:
    """Return the headers to send upstream for a WSGI request.

    Hop-by-hop and Connection-named headers go; client-supplied X-Forwarded-*, Forwarded and
    internal X-Strangler-* headers go (the proxy is the edge, so it sets them itself).
    """
    drop = HOP_BY_HOP | FORWARDED | connection_tokens(environ.get("HTTP_CONNECTION", ""))
    drop |= {"expect"}  # the server in front already answered 100-continue
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if not key.startswith("HTTP_"):
            continue
        name = key[5:].replace("_", "-").lower()
        if name in drop or name.startswith(INTERNAL_PREFIX) or name in ("host", "x-request-id"):
            continue
        headers[name] = value
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = environ["CONTENT_LENGTH"]
    headers["via"] = f"{headers['via']}, {VIA}" if "via" in headers else VIA
    headers["x-forwarded-for"] = client_address(environ)
    headers["x-forwarded-proto"] = environ.get("wsgi.url_scheme", "http")
    headers["x-forwarded-host"] = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
    headers["x-request-id"] = rid
    return headers


def downstream_headers(headers: Iterable[tuple[str, str]], rid: str) -> list[tuple[str, str]]:
    """Return an upstream response's headers minus hop-by-hop ones, plus Via and the id."""
    pairs = list(headers)
    drop = set(HOP_BY_HOP | REPLACED_BY_SERVER)
    for name, value in pairs:
        if name.lower() == "connection":
            drop |= connection_tokens(value)
    out: list[tuple[str, str]] = []
    via = VIA
    for name, value in pairs:
        lower = name.lower()
        if lower in drop or lower == "x-request-id":
            continue
        if lower == "via":
            via = f"{value}, {VIA}"
            continue
        out.append((name, value))
    out.append(("Via", via))
    out.append(("X-Request-ID", rid))
    return out
