"""The request target as the client wrote it, and the pathname Express shows for it."""

from __future__ import annotations

from urllib.parse import quote

from flask import request

RAW_PATH = "strangler.raw_path"


def request_target(environ) -> str:
    """Return the WSGI request's target as sent (``RAW_URI``/``REQUEST_URI``), or rebuilt."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return raw
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    target = quote(path.encode("latin-1"), safe="/:@!$&'()*+,;=-._~")
    query = environ.get("QUERY_STRING")
    return f"{target}?{query}" if query else target


def raw_path() -> str:
    """Return the pathname Express reads from the current request's target (``%`` kept)."""
    return request.environ[RAW_PATH]
