"""The proxy's handle on the shared database and the migrations that own its schema."""

from __future__ import annotations

from flask import Flask
from flask_migrate import Migrate

from backend.database import REPO_ROOT, db

MIGRATIONS_DIR = REPO_ROOT / "migrations"

migrate = Migrate(directory=str(MIGRATIONS_DIR), compare_type=True, render_as_batch=True)


def init_database(app: Flask) -> None:
    """Bind the shared SQLAlchemy handle and Flask-Migrate (``strangler db ...``) to ``app``."""
    db.init_app(app)
    import backend.models  # noqa: F401  (the backend's tables; rollout.create_app adds its own)

    migrate.init_app(app, db)
