"""An app on a fresh migrated SQLite database per test, a client, and a small API helper."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from backend import create_app
from backend.database import db
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


class Api:
    """Call the API as anonymous or as a registered user (by name)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    def register(self, name: str, password: str = "password123") -> dict[str, Any]:
        response = self.client.post(
            "/api/users",
            json={"user": {"username": name, "email": f"{name}@example.com",
                           "password": password}},
        )
        assert response.status_code == 201, response.text
        self.tokens[name] = response.json["user"]["token"]
        return response.json["user"]

    def call(self, method: str, path: str, user: str | None = None, **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"Token {self.tokens[user]}"
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def article(self, user: str, title: str = "Dragons", **fields: Any) -> dict[str, Any]:
        body = {"title": title, "description": "about", "body": "text", **fields}
        response = self.call("POST", "/api/articles", user, json={"article": body})
        assert response.status_code == 201, response.text
        return response.json["article"]


@pytest.fixture
def api(client: FlaskClient) -> Api:
    return Api(client)
