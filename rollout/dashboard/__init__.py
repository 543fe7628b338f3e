"""The parity dashboard, served by the proxy under a reserved prefix (default ``/_strangler``).

``init_dashboard(app)`` is the one call ``rollout.create_app`` makes, last (after the
proxy's middleware is in place): it configures sessions and CSRF, registers the blueprint,
and reserves the prefix so that no request under it is forwarded upstream or matched
against routes.yaml. The prefix is reserved on the canonical path, as routing sees it:
``//_strangler/``, ``/_STRANGLER/``, ``/%5Fstrangler/`` or ``/_strangler;x/`` are answered
404 here, never forwarded; ``/_strangler`` redirects to ``/_strangler/`` with a relative
Location (never one built from the Host header).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from flask import Flask

from proxy.patterns import BadPath, canonical_segments, raw_path

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def init_dashboard(app: Flask) -> None:
    """Serve the dashboard from ``app`` under ``DASHBOARD_PREFIX``."""
    # Imported here, not with the package: rollout.create_app imports rollout.dashboard.models
    # (its tables belong to migrations/) for every command, the views only when served.
    import rollout.dashboard.models  # noqa: F401
    from rollout.dashboard import pages, rollouts  # noqa: F401  (register the views)
    from rollout.dashboard.blueprint import bp, csrf
    from rollout.dashboard.login import login_manager
    from rollout.dashboard.session import DashboardSessionInterface
    from rollout.dashboard.settings import configure


    configure(app)
    app.session_interface = DashboardSessionInterface()
    login_manager.init_app(app)
    csrf.init_app(app)
    prefix = app.config["DASHBOARD_PREFIX"]
    app.register_blueprint(bp, url_prefix=prefix)
    # Flask's middleware idiom; mypy refuses assigning anything to a method
    app.wsgi_app = reserve_prefix(  # type: ignore[method-assign, assignment]
        app.wsgi_app, partial(Flask.wsgi_app, app), prefix)


def reserve_prefix(outer: WSGIApp, flask_app: WSGIApp, prefix: str) -> WSGIApp:
    """Send everything under ``prefix`` to Flask itself, the rest to ``outer``."""
    reserved = [segment.lower() for segment in prefix.strip("/").split("/")]

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(prefix + "/") and raw_path(environ).startswith(prefix + "/"):
            return flask_app(environ, start_response)
        if path == prefix and raw_path(environ) == prefix:
            query = environ.get("QUERY_STRING", "")
            return _answer(start_response, "308 Permanent Redirect", b"",
                           [("Location", prefix + "/" + ("?" + query if query else ""))])
        if _names(environ, reserved):
            body = json.dumps({"error": "not found", "dashboard": prefix + "/"}).encode()
            return _answer(start_response, "404 Not Found", body,
                           [("Content-Type", "application/json")])
        return outer(environ, start_response)

    return dispatch


def _names(environ: dict[str, Any], reserved: list[str]) -> bool:
    """Return whether the request's canonical path starts with the reserved segments."""
    try:
        segments = canonical_segments(raw_path(environ))
    except BadPath:
        return False  # refused (400) by the proxy anyway
    first = [segment.split(";", 1)[0].lower() for segment in segments[: len(reserved)]]
    return first == reserved


def _answer(start_response: Callable[..., Any], status: str, body: bytes,
            headers: list[tuple[str, str]]) -> list[bytes]:
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]
