"""JSON in and out, the way Express writes it: compact, keys in order, UTF-8 unescaped."""

from __future__ import annotations

import json
import json.scanner
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

CONTENT_TYPE = "application/json; charset=utf-8"


class ExpressJSONProvider(DefaultJSONProvider):
    """Serialise like ``JSON.stringify``: no spaces, no trailing newline, no key sorting."""

    sort_keys = False
    ensure_ascii = False
    compact = True
    _app: Flask  # registered on Flask apps only (Flask's own annotation is the sansio App)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("separators", (",", ":"))
        return super().dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), content_type=CONTENT_TYPE)


def json_response(payload: Any, status: int = 200) -> Response:
    """Return ``payload`` as an Express-style JSON response."""
    from flask import current_app

    return current_app.response_class(current_app.json.dumps(payload), status=status,
                                      content_type=CONTENT_TYPE)


DEEP_LIMIT = 250_000  # a 100 kB body nests at most 100 000 levels


def _reject(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def loads_strict(text: str) -> Any:
    """Parse JSON as ``JSON.parse`` does: no NaN or Infinity literals, any nesting depth.

    The C scanner stops at about a thousand levels; V8 does not, so deeper documents are
    parsed again by the pure-Python scanner with room to recurse.
    """
    try:
        return json.loads(text, parse_constant=_reject)
    except RecursionError:
        decoder = json.JSONDecoder(parse_constant=_reject)
        # typeshed knows neither the attribute nor the pure-Python scanner (CPython has both)
        decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
        with deep_recursion():
            return decoder.decode(text)


@contextmanager
def deep_recursion() -> Iterator[None]:
    """Let Python code recurse as deep as a 100 kB JSON document can nest."""
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(previous, DEEP_LIMIT))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def init_app(app: Flask) -> None:
    """Install the Express-compatible JSON provider on ``app``."""
    app.json_provider_class = ExpressJSONProvider
    app.json = ExpressJSONProvider(app)
