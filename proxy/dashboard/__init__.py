"""The parity dashboard, served by the proxy under a reserved prefix (default ``/_strangler``).

``init_dashboard(app)`` is the one call the proxy's ``create_app`` makes, last (after the
proxy's middleware is in place): it configures sessions and CSRF, registers the blueprint,
and reserves the prefix so that no request under it is forwarded upstream or matched
against routes.yaml.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from flask import Flask

from proxy.dashboard import pages  # noqa: F401  (registers the views on the blueprint)
from proxy.dashboard.blueprint import bp, csrf
from proxy.dashboard.login import login_manager
from proxy.dashboard.session import DashboardSessionInterface
from proxy.dashboard.settings import configure

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def init_dashboard(app: Flask) -> None:
    """Serve the dashboard from ``app`` under ``DASHBOARD_PREFIX``."""
    import proxy.dashboard.models  # noqa: F401  (its tables belong to migrations/)

    configure(app)
    app.session_interface = DashboardSessionInterface()
    login_manager.init_app(app)
    csrf.init_app(app)
    prefix = app.config["DASHBOARD_PREFIX"]
    app.register_blueprint(bp, url_prefix=prefix)
    app.wsgi_app = reserve_prefix(app.wsgi_app, partial(Flask.wsgi_app, app), prefix)  # type: ignore[method-assign]


def reserve_prefix(outer: WSGIApp, flask_app: WSGIApp, prefix: str) -> WSGIApp:
    """Send ``prefix`` and everything under it to Flask itself, the rest to ``outer``."""

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == prefix or path.startswith(prefix + "/"):
            return flask_app(environ, start_response)
        return outer(environ, start_response)

    return dispatch
