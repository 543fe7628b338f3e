"""The new Flask implementation of the Conduit API."""

from __future__ import annotations

from typing import Any

from flask import Flask

from backend.database import database_url, db


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Create the Conduit API application."""
    app = Flask(__name__)
    app.config.from_mapping(SQLALCHEMY_DATABASE_URI=database_url())
    if test_config:
        app.config.update(test_config)

    db.init_app(app)
    import backend.models  # noqa: F401  (register the tables on db.metadata)

    return app
