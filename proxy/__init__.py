"""The routing proxy: the front door that decides, per request, who serves it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask
# Flask, the backend and the database are imported by create_app, not with the package:
# `strangler routes list` imports proxy.validation and needs none of them.


def create_app(test_config: dict[str, Any] | None = None, settings: Any = None, *,
               serve: bool = True) -> Flask:
    """Create the proxy application; no sockets, threads or files are opened here.

    This is the data plane alone: ``rollout.create_app`` adds the control plane (the
    dashboard, the audit table) and is what gunicorn and ``strangler`` serve.

    ``settings`` is a ``shadow.settings.ToolingSettings``; without it the environment is read
    here, once (shadow/settings.py declares every variable; a bad value stops the start).
    ``serve=False`` leaves out what only serving needs (the middleware, the health
    endpoints and their imports): ``strangler routes ...`` reads config and the runtime's
    backend shapes only, and answers faster without them.
    The object is kept as ``app.config["SETTINGS"]``; the keys below are its values as the
    proxy's modules (and tests, through ``test_config``) use them.
    """
    from flask import Flask

    from backend import settings as backend_settings
    from backend.database import database_url
    from proxy.database import init_database
    from shadow import settings as tooling_settings

    settings = tooling_settings.read() if settings is None else settings
    backend = backend_settings.read()  # the in-process backend's, read once here too
    app = Flask(__name__)
    app.config.from_mapping(
        SETTINGS=settings,
        BACKEND_SETTINGS=backend,
        SQLALCHEMY_DATABASE_URI=database_url(backend.database_url),
        ROUTES_FILE=settings.routes_file,
        LEGACY_URL=settings.legacy_url,
        MAX_BODY_BYTES=settings.max_body_bytes,
        HTTP_CLIENT=settings.http_client,
        LEGACY_POOL_SIZE=settings.legacy_pool_size,
        LEGACY_CONCURRENCY=settings.legacy_concurrency,
        FLASK_CONCURRENCY=settings.flask_concurrency,
        THREADS=settings.threads,
        SHADOW_MAX_BODY_BYTES=settings.shadow_max_body_bytes,
        DASHBOARD_PREFIX=settings.dashboard_prefix,
        RELOAD_INTERVAL=0.2,
        BACKEND_APP=None,
    )
    if test_config:
        app.config.update(test_config)
    init_database(app)
    from proxy import headers

    headers.trust(settings.forwarded_allow_ips)

    from proxy.runtime import ProxyRuntime

    runtime = ProxyRuntime(app.config)
    app.extensions["strangler"] = runtime
    if not serve:
        return app
    from proxy import health
    from proxy.dispatch import ProxyMiddleware

    app.register_blueprint(health.bp)
    app.wsgi_app = ProxyMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, runtime, own_prefix=app.config["DASHBOARD_PREFIX"])
    return app
