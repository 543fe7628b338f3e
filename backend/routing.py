"""Express's routing rules on top of Werkzeug's.

Legacy (Express 5: router 2, path-to-regexp 8) matches the pathname ``parseurl`` reads from
the target (still percent-encoded; see ``backend.node_url``): the ``/api`` mount first, then,
on the target without that prefix, the routes: literal segments case-insensitively, one
optional trailing slash, parameters ``[^/]+`` percent-decoded afterwards (a parameter that is
not valid percent-encoded UTF-8 is a 400, whatever the method). Routes are tried in
registration order; the first whose path matches and which handles the method (GET also
answers HEAD) serves the request. A target ``url.parse`` throws on gets Express's 404 for
``resource`` before any middleware runs (no CORS header, the body not read).

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

from backend import node_url
from backend.errors import BadRequest, express_404
from backend.rawpath import RAW_PATH, request_target

_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
MOUNT = "/api"
_MOUNTED = re.compile(r"/api(?:/\Z)?(?=/|\Z)", re.IGNORECASE | re.ASCII)
UNROUTED = "strangler.unrouted"
BAD_PARAM = "strangler.bad_param"
QUERY = "strangler.query"


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
        mounted = rule.removeprefix(MOUNT).strip("/").split("/")
        parts = [
            "([^/]+)" if _PARAM.fullmatch(segment) else re.escape(segment)
            for segment in mounted
        ]
        self.pattern = re.compile("/" + "/".join(parts) + "/?", re.IGNORECASE | re.ASCII)

    def match(self, pathname: str) -> list[str] | None:
        """Return the raw parameters if ``pathname`` (inside the mount) matches, else None."""
        found = self.pattern.fullmatch(pathname)
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
                if rule.endpoint != "static" and rule.rule.startswith(MOUNT + "/")
            ]
        return self._routes

    def __call__(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        target = request_target(environ)
        pathname = _pathname(target)
        if pathname is None:
            page = express_404(method, "resource")
            page.headers["X-Powered-By"] = "Express"  # set by Express before any routing
            return page(environ, start_response)
        environ[RAW_PATH] = pathname
        environ[UNROUTED] = True
        mounted = _MOUNTED.match(pathname)
        if mounted:
            inner = _target(node_url.unmount(target, len(mounted[0])))
            environ[QUERY] = inner.query
            if inner.pathname is not None:
                self._route(environ, method, inner.pathname)
        return self.wsgi_app(environ, start_response)

    def _route(self, environ, method: str, pathname: str) -> None:
        """Mark the first route taking ``pathname`` and ``method``, as the api router does."""
        lookup = "GET" if method == "HEAD" else method
        for route in self.routes():
            params = route.match(pathname)
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


def _target(url: str) -> node_url.Target:
    try:
        return node_url.parse(url)
    except node_url.InvalidUrl:
        return node_url.Target(None, None)


def _pathname(url: str) -> str | None:
    return _target(url).pathname


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
    # Flask's documented middleware idiom; mypy refuses any assignment to a method
    app.wsgi_app = ExpressPaths(app)  # type: ignore[method-assign]
