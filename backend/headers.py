"""The headers Express and its middleware add: CORS, X-Powered-By, weak ETags, 304s."""

from __future__ import annotations

import base64
import hashlib
import re

from flask import Flask, Response, request

from backend.status_line import with_node_reason

ALLOWED_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"
_NO_CACHE = re.compile(r"(?:^|,)\s*?no-cache\s*?(?:,|$)")


def weak_etag(body: bytes) -> str:
    """Return Express's weak ETag for ``body``: ``W/"<length hex>-<sha1 base64, 27 chars>"``."""
    digest = base64.b64encode(hashlib.sha1(body).digest()).decode("ascii")[:27]
    return f'W/"{len(body):x}-{digest}"'


def is_fresh(etag: str | None) -> bool:
    """Tell whether the request's validators match ``etag`` (the ``fresh`` package's rules)."""
    none_match = request.headers.get("If-None-Match")
    modified_since = request.headers.get("If-Modified-Since")
    if not none_match and not modified_since:
        return False
    if _NO_CACHE.search(request.headers.get("Cache-Control", "")):
        return False
    if not none_match:
        return False  # If-Modified-Since alone: no Last-Modified, so always stale
    if none_match == "*":
        return True
    if not etag:
        return False
    tokens = [token for token in re.split(r"[ ,]+", none_match) if token]
    return any(t == etag or t == "W/" + etag or "W/" + t == etag for t in tokens)


class PreflightResponse(Response):
    """A 204 that keeps ``Content-Length: 0``, as ``cors`` sends (Werkzeug drops it on 204s)."""

    def get_wsgi_headers(self, environ):
        headers = super().get_wsgi_headers(environ)
        headers["Content-Length"] = "0"
        return headers


def preflight() -> Response:
    """Answer an OPTIONS request the way the ``cors`` package does (204, no body)."""
    response = PreflightResponse(status=204)
    response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
    requested = request.headers.get("Access-Control-Request-Headers")
    response.headers["Vary"] = "Access-Control-Request-Headers"
    if requested:
        response.headers["Access-Control-Allow-Headers"] = requested
    response.headers.pop("Content-Type", None)
    return response


def finish(response: Response) -> Response:
    """Add Express's headers and Node's reason phrase; turn a fresh GET into a 304."""
    response.headers["X-Powered-By"] = "Express"
    response.headers["Access-Control-Allow-Origin"] = "*"
    if response.status_code == 204 or response.direct_passthrough:
        response.headers.pop("Content-Type", None)
        return with_node_reason(response)
    if response.mimetype != "application/json":
        return with_node_reason(response)
    etag = weak_etag(response.get_data())
    response.headers["ETag"] = etag
    fresh_status = 200 <= response.status_code < 300 or response.status_code == 304
    if request.method in ("GET", "HEAD") and fresh_status and is_fresh(etag):
        response.status_code = 304
        response.set_data(b"")
        for name in ("Content-Type", "Content-Length", "Transfer-Encoding"):
            response.headers.pop(name, None)
    return with_node_reason(response)


def init_app(app: Flask) -> None:
    """Answer preflights first and finish every response as Express would."""
    app.before_request(lambda: preflight() if request.method == "OPTIONS" else None)
    app.after_request(finish)
