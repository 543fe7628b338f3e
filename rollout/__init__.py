"""The control plane: the ``strangler`` command, the dashboard, route flips and their audit.

It sits beside the data plane (``proxy``: the request path; ``shadow``: mirroring and
comparison) and composes them; nothing in ``proxy``, ``shadow`` or ``backend`` imports it.
``create_app`` is the served application: the proxy with the dashboard under its prefix.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None, *, dashboard: bool = True,
               serve: bool = True) -> Flask:
    """Create the proxy app with the control plane's tables, and (by default) the dashboard.

    ``dashboard=False`` is for commands that only read or edit files and tables: the
    dashboard's settings need a signing key (``instance/secret_key`` when none is set).
    ``serve=False`` (the same commands) builds no proxy middleware: see proxy.create_app.
    """
    from proxy import create_app as create_proxy

    app = create_proxy(test_config, serve=serve)
    if dashboard or app.config.get("MIGRATIONS", True):  # `routes set` needs neither
        import rollout.dashboard.models  # noqa: F401  (the tooling's tables, on its metadata)
    import rollout.models  # noqa: F401
    from rollout.database import TOOLING_METADATA

    app.extensions["tooling_metadata"] = TOOLING_METADATA  # compared by migrations/env.py

    if dashboard:
        from rollout.dashboard import init_dashboard

        init_dashboard(app)  # last: it reserves the dashboard prefix in front of the middleware
    return app
