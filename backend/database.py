"""The one SQLAlchemy handle shared by the models, the services and the migrations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

from dbtypes import NAMING_CONVENTION

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = REPO_ROOT / "instance" / "strangler.db"

class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
# Models subclass this. It is db.Model, which Flask-SQLAlchemy builds at run time on Base (the
# metadata and mapping); a type checker cannot see that class, so it is shown Base instead.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model


def database_url(url: str | None = None) -> str:
    """Return the SQLAlchemy URL for a DATABASE_URL value, defaulting to embedded SQLite.

    Legacy and the Flask side read the same environment variable, so the URL forms are the
    ones both understand: ``postgresql://user@host:port/name`` and ``sqlite:///path``.
    SQLAlchemy needs the psycopg 3 driver named explicitly.
    """
    url = url or f"sqlite:///{DEFAULT_SQLITE_PATH}"  # DATABASE_URL: backend/settings.py
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if not url.startswith(("sqlite:", "postgresql+")):
        raise ValueError(
            f"DATABASE_URL {url!r} is not supported: use postgresql://... or sqlite:///path"
        )
    return url


@sa.event.listens_for(sa.Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    """Enforce foreign keys and wait for the other writer (legacy shares the file)."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()
