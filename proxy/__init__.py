"""The routing proxy: the front door that decides, per request, who serves it."""

from __future__ import annotations

from typing import Any

from flask import Flask

from backend.database import database_url
from proxy.database import init_database


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the proxy application."""
    app = Flask(__name__)
    app.config.from_mapping(SQLALCHEMY_DATABASE_URI=database_url())
    if test_config:
        app.config.update(test_config)
    init_database(app)
    return app
