"""Express's routing rules on top of Werkzeug's.

Legacy (Express 5: router 2, path-to-regexp 8) matches the raw, still percent-encoded path:
literal segments case-insensitively, one optional trailing slash, parameters ``[^/]+``
percent-decoded afterwards (a parameter that is not valid percent-encoded UTF-8 is a 400,
whatever the method). Routes are tried in registration order; the first whose path matches and
which handles the method (GET also answers HEAD) serves the request.

This WSGI middleware does that matching on the raw path and hands Werkzeug the canonical
path (literals as the rule spells them, decoded parameters with ``%`` and ``/`` escaped for the
``param`` converter). A request no route takes is marked unrouted and gets Express's 404 page
once the body has been read, as in legacy where ``express.json()`` runs before the router.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, unquote_to_bytes

from flask import Flask, abort, request
from werkzeug.routing import BaseConverter

from backend.errors import BadRequest
from backend.rawpath import RAW_PATH, raw_path_of

_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
UNROUTED = "strangler.unrouted"
BAD_PARAM = "strangler.bad_param"


class ParamConverter(BaseConverter):
    """A path parameter that may contain ``/`` and ``%`` (escaped by the middleware)."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return value.replace("%2F", "/").replace("%25", "%")

    def to_url(self, value: str) -> str:
        return quote(value, safe="")


class LooseRoute:
    """One rule's Express-style pattern, and how to write a matching path canonically."""

    def __init__(self, rule: str, methods: Iterable[str]) -> None:
        self.methods = frozenset(methods)
        self.segments = rule.strip("/").split("/")
        parts = [
            "([^/]+)" if _PARAM.fullmatch(segment) else re.escape(segment)
            for segment in self.segments
        ]
        self.pattern = re.compile("/" + "/".join(parts) + "/?", re.IGNORECASE)

    def match(self, raw_path: str) -> list[str] | None:
        """Return the raw parameters if ``raw_path`` matches, else None."""
        found = self.pattern.fullmatch(raw_path)
        return list(found.groups()) if found else None

    def canonical(self, params: list[str]) -> str:
        """Return the WSGI PATH_INFO for decoded ``params``."""
        values = iter(params)
        segments = [
            _escape(next(values)) if _PARAM.fullmatch(segment) else segment
            for segment in self.segments
        ]
        return ("/" + "/".join(segments)).encode("utf-8").decode("latin-1")


def decode_component(raw: str) -> str:
    """Decode like JavaScript's ``decodeURIComponent``; raise ValueError when it would throw."""
    if _PERCENT.search(raw):
        raise ValueError(raw)
    return unquote_to_bytes(raw).decode("utf-8")


def _escape(value: str) -> str:
    return value.replace("%", "%25").replace("/", "%2F")


class ExpressPaths:
    """WSGI middleware: canonicalise PATH_INFO before Flask routes the request."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wsgi_app = app.wsgi_app
        self._routes: list[LooseRoute] | None = None

    def routes(self) -> list[LooseRoute]:
        if self._routes is None:
            self._routes = [
                LooseRoute(rule.rule, rule.methods or ())
                for rule in self.app.url_map.iter_rules()
                if rule.endpoint != "static"
            ]
        return self._routes

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET").upper()
        lookup = "GET" if method == "HEAD" else method
        raw = raw_path_of(environ)
        environ[RAW_PATH] = raw
        environ[UNROUTED] = True
        for route in self.routes():
            params = route.match(raw)
            if params is None:
                continue
            try:
                decoded = [decode_component(param) for param in params]
            except ValueError:
                environ[BAD_PARAM] = True
                environ[UNROUTED] = False
                break
            if lookup in route.methods:
                environ["PATH_INFO"] = route.canonical(decoded)
                environ[UNROUTED] = False
                break
        return self.wsgi_app(environ, start_response)


def refuse_unrouted() -> None:
    """Answer a request no route takes as legacy does: 400 for a bad parameter, else 404."""
    if request.environ.get(BAD_PARAM):
        raise BadRequest("path", "is not valid percent-encoded UTF-8")
    if request.environ.get(UNROUTED, False):
        abort(404)


def init_app(app: Flask) -> None:
    """Route requests like Express (call before the blueprints are registered)."""
    app.url_map.converters["param"] = ParamConverter
    app.url_map.merge_slashes = False
    app.before_request(refuse_unrouted)
    app.wsgi_app = ExpressPaths(app)
