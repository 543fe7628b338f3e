"""An app on a fresh migrated SQLite database per test, a client, and a small API helper."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backend import create_app
from backend.database import db
from tests.support.api import Api
from tests.support.databases import DatabaseFactory
from tests.support.processes import TEST_JWT_SECRET


@pytest.fixture(scope="session")
def migrated_sqlite(databases: DatabaseFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating takes seconds)."""
    return Path(databases.create("sqlite").removeprefix("sqlite:///"))


@pytest.fixture
def app(migrated_sqlite: Path, tmp_path: Path) -> Iterator[Flask]:
    path = tmp_path / "conduit.sqlite"
    shutil.copyfile(migrated_sqlite, path)
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "JWT_SECRET": TEST_JWT_SECRET,
        }
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client)
