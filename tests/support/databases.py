"""Fresh, migrated databases for tests: PostgreSQL (the production database) and SQLite."""

from __future__ import annotations

import itertools
import os
import uuid
from pathlib import Path

import psycopg
from flask import Flask
from flask_migrate import upgrade
from psycopg import sql

from backend.database import db
from proxy.database import init_database

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_server_url() -> str:
    """Return the URL of the database the test run may create its own databases next to.

    CI passes DATABASE_URL (a fresh database it drops afterwards); locally the machine's
    PostgreSQL is used. Only postgresql:// URLs count: an SQLite DATABASE_URL is ignored.
    """
    for name in ("TEST_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgresql://", "postgres://")):
            return url
    return DEFAULT_POSTGRES


def migrate(url: str) -> None:
    """Upgrade the database at ``url`` to the newest revision, as ``strangler db upgrade``."""
    app = Flask("migrate")
    app.config["SQLALCHEMY_DATABASE_URI"] = _sqlalchemy_url(url)
    init_database(app)
    with app.app_context():
        upgrade(revision="heads")  # both branches, backend and tooling
        db.engine.dispose()


def _sqlalchemy_url(url: str) -> str:
    from backend.database import database_url

    return database_url(url)


class DatabaseFactory:
    """Create empty migrated databases on demand and remove them all at the end."""

    def __init__(self, tmp_dir: Path) -> None:
        self.tmp_dir = tmp_dir
        self.server_url = postgres_server_url()
        self._prefix = f"strangler_t{uuid.uuid4().hex[:8]}"
        self._counter = itertools.count(1)
        self._postgres_names: list[str] = []

    def create(self, kind: str, *, migrated: bool = True) -> str:
        """Return the URL of a new database of ``kind`` ("postgresql" or "sqlite")."""
        n = next(self._counter)
        if kind == "sqlite":
            url = f"sqlite:///{self.tmp_dir / f'db{n}.sqlite'}"
        elif kind == "postgresql":
            name = f"{self._prefix}_{n}"
            with psycopg.connect(self.server_url, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            self._postgres_names.append(name)
            url = self.server_url.rsplit("/", 1)[0] + "/" + name
        else:
            raise ValueError(f"unknown database kind {kind!r}")
        if migrated:
            migrate(url)
        return url

    def drop_all(self) -> None:
        """Drop every PostgreSQL database this factory created."""
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            for name in self._postgres_names:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(name)
                    )
                )
        self._postgres_names.clear()
