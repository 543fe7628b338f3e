"""The routing proxy: the front door that decides, per request, who serves it."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from backend.database import REPO_ROOT, database_url
from proxy.database import init_database


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the proxy application; no sockets, threads or files are opened here."""
    app = Flask(__name__)
    app.config.from_mapping(
        SQLALCHEMY_DATABASE_URI=database_url(),
        ROUTES_FILE=os.environ.get("ROUTES_FILE") or str(REPO_ROOT / "routes.yaml"),
        LEGACY_URL=os.environ.get("LEGACY_URL") or None,
        MAX_BODY_BYTES=int(os.environ.get("PROXY_MAX_BODY_BYTES", 10 * 1024 * 1024)),
        HTTP_CLIENT=os.environ.get("PROXY_HTTP_CLIENT", "urllib3"),
        LEGACY_POOL_SIZE=int(os.environ.get("PROXY_LEGACY_POOL_SIZE", 32)),
        LEGACY_CONCURRENCY=os.environ.get("PROXY_LEGACY_CONCURRENCY"),
        FLASK_CONCURRENCY=os.environ.get("PROXY_FLASK_CONCURRENCY"),
        RELOAD_INTERVAL=0.2,
        BACKEND_APP=None,
    )
    if test_config:
        app.config.update(test_config)
    init_database(app)

    from proxy import health
    from proxy.dispatch import ProxyMiddleware
    from proxy.runtime import ProxyRuntime

    runtime = ProxyRuntime(app.config)
    app.extensions["strangler"] = runtime
    app.register_blueprint(health.bp)
    # Flask's middleware idiom; mypy refuses assigning anything to a method
    app.wsgi_app = ProxyMiddleware(app.wsgi_app, runtime)  # type: ignore[method-assign]
    from proxy.dashboard import init_dashboard

    init_dashboard(app)  # last: it reserves the dashboard prefix in front of the middleware
    return app
