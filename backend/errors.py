"""Domain errors and the one place that turns them into legacy's error responses."""

from __future__ import annotations

import logging
from html import escape

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from backend.express_json import json_response
from backend.rawpath import raw_path
from backend.status_line import with_node_reason

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error the API reports as ``{"errors": {field: [message]}}`` with ``status``."""

    status = 400

    def __init__(self, errors: dict[str, str] | str, message: str | None = None) -> None:
        if isinstance(errors, str):
            errors = {errors: message or ""}
        super().__init__(errors)
        self.errors = errors

    def body(self) -> dict[str, dict[str, list[str]]]:
        return {"errors": {field: [message] for field, message in self.errors.items()}}


class BadRequest(ApiError):
    status = 400


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403


class NotFound(ApiError):
    status = 404


class PayloadTooLarge(ApiError):
    status = 413


class UnsupportedMediaType(ApiError):
    status = 415


class ValidationFailed(ApiError):
    """One or more fields are invalid (422); ``errors`` keeps the documented field order."""

    status = 422


def error_response(error: ApiError) -> Response:
    """Return the JSON response legacy sends for ``error``."""
    response = json_response(error.body(), error.status)
    if error.status == 401:
        response.headers["WWW-Authenticate"] = "Token"
    return response


# Characters encodeurl leaves alone (Express's 404 page shows the path through it).
_URL_SAFE = set(
    "!#$&'()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_abcdefghijklmnopqrstuvwxyz|~"
)
_HEX = set("0123456789abcdefABCDEF")


def encode_url(path: str) -> str:
    """Percent-encode ``path`` like the ``encodeurl`` package (valid escapes are kept)."""
    out = []
    for index, char in enumerate(path):
        if char == "%":
            escape_ok = len(path) > index + 2 and {path[index + 1], path[index + 2]} <= _HEX
            out.append("%" if escape_ok else "%25")
        elif char in _URL_SAFE:
            out.append(char)
        else:
            out.append("".join(f"%{byte:02X}" for byte in char.encode("utf-8", "replace")))
    return "".join(out)


def not_found_page() -> Response:
    """Return Express's own 404 page (finalhandler) for the current request."""
    return express_404(request.method, raw_path())


def express_404(method: str, resource: str) -> Response:
    """Return finalhandler's 404 page for ``method`` on ``resource`` (a pathname)."""
    message = f"Cannot {method} {encode_url(resource)}"
    html = escape(message, quote=True).replace("&#x27;", "&#39;").replace("  ", " &nbsp;")
    body = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Error</title>\n</head>\n<body>\n<pre>{html}</pre>\n</body>\n</html>\n"
    )
    response = Response(body, status=404, content_type="text/html; charset=utf-8")
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return with_node_reason(response)


def init_app(app: Flask) -> None:
    """Map domain errors, unknown routes and crashes to legacy's responses."""
    app.register_error_handler(ApiError, error_response)

    @app.errorhandler(HTTPException)
    def http_exception(error: HTTPException) -> Response:
        if error.code in (404, 405):
            return not_found_page()
        if error.code == 413:
            return error_response(PayloadTooLarge("body", "is too large"))
        if error.code is not None and error.code < 500:
            return error_response(BadRequest("body", "could not be read"))
        return internal_error(error)

    @app.errorhandler(Exception)
    def internal_error(error: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path, exc_info=error)
        return json_response({"errors": {"server": ["internal error"]}}, 500)
