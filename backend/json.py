"""JSON in and out, the way Express writes it: compact, keys in order, UTF-8 unescaped."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

CONTENT_TYPE = "application/json; charset=utf-8"


class ExpressJSONProvider(DefaultJSONProvider):
    """Serialise like ``JSON.stringify``: no spaces, no trailing newline, no key sorting."""

    sort_keys = False
    ensure_ascii = False
    compact = True

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("separators", (",", ":"))
        return super().dumps(obj, **kwargs)

    def response(self, *args: Any, **kwargs: Any) -> Response:
        obj = self._prepare_response_obj(args, kwargs)
        return self._app.response_class(self.dumps(obj), content_type=CONTENT_TYPE)


def json_response(payload: Any, status: int = 200) -> Response:
    """Return ``payload`` as an Express-style JSON response."""
    from flask import current_app

    response = current_app.json.response(payload)
    response.status_code = status
    return response


def loads_strict(text: str) -> Any:
    """Parse JSON as ``JSON.parse`` does: no NaN or Infinity literals."""

    def reject(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=reject)


def init_app(app: Flask) -> None:
    """Install the Express-compatible JSON provider on ``app``."""
    app.json_provider_class = ExpressJSONProvider
    app.json = ExpressJSONProvider(app)
