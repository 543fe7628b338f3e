"""The proxy's handle on the shared database and the migrations that own its schema."""

from __future__ import annotations

from flask import Flask

from backend.database import REPO_ROOT, db

MIGRATIONS_DIR = REPO_ROOT / "migrations"


def init_database(app: Flask) -> None:
    """Bind the shared SQLAlchemy handle and Flask-Migrate (``strangler db ...``) to ``app``.

    With ``app.config["MIGRATIONS"]`` false, Flask-Migrate is left out: importing it imports
    Alembic, a fifth of a second that ``strangler routes ...`` has no use for.
    """
    db.init_app(app)
    import backend.models  # noqa: F401  (the backend's tables; rollout.create_app adds its own)

    if app.config.get("MIGRATIONS", True):
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(MIGRATIONS_DIR), compare_type=True,
                render_as_batch=True)
