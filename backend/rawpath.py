"""The request path as the client wrote it, percent-escapes kept (what Express matches on)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from flask import request

RAW_PATH = "strangler.raw_path"


def raw_path_of(environ) -> str:
    """Return the raw path of the WSGI request ``environ``."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        if not raw.startswith("/"):
            raw = urlsplit(raw).path or "/"
        return raw.split("?", 1)[0]
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return quote(path.encode("latin-1"), safe="/:@!$&'()*+,;=-._~")


def raw_path() -> str:
    """Return the current request's raw path."""
    return request.environ.get(RAW_PATH) or raw_path_of(request.environ)
