"""Fixtures for the dashboard's tests: the proxy app on a migrated database, two accounts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from backend.database import database_url, db
from rollout import create_app
from rollout.dashboard.accounts import create_user
from rollout.dashboard.models import LoginLimit, Role
from tests.support.dashboard import PASSWORD, ROUTES, csrf_token


@pytest.fixture(scope="module")
def dashboard_db(databases) -> str:
    """A migrated SQLite database per test module, with a viewer and an operator."""
    url = databases.create("sqlite")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(url), "SECRET_KEY": "x"})
    with app.app_context():
        create_user("vera", PASSWORD, Role.VIEWER)
        create_user("otto", PASSWORD, Role.OPERATOR)
        db.engine.dispose()
    return url


@pytest.fixture
def routes_file(tmp_path: Path) -> Path:
    path = tmp_path / "routes.yaml"
    path.write_text(ROUTES)
    return path


@pytest.fixture
def make_app(dashboard_db: str, routes_file: Path) -> Iterator[Callable[..., Flask]]:
    """Create proxy apps on the shared database (several apps stand for several workers)."""
    apps: list[Flask] = []
    with create_app({"SQLALCHEMY_DATABASE_URI": database_url(dashboard_db)}).app_context():
        db.session.execute(sa.delete(LoginLimit))  # each test starts with no failures
        db.session.commit()
        db.engine.dispose()

    def make(**config: object) -> Flask:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": database_url(dashboard_db),
            "ROUTES_FILE": str(routes_file),
            "SECRET_KEY": "dashboard-tests",
            **config,
        })
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def proxy_app(make_app) -> Flask:
    """The proxy app (not named ``app``: pytest-flask would share one ``g`` across requests)."""
    return make_app()


@pytest.fixture
def client(proxy_app: Flask) -> FlaskClient:
    return proxy_app.test_client()


@pytest.fixture
def login() -> Callable[..., object]:
    """Log ``client`` in as ``username`` through the real form; return the response."""

    def log_in(client: FlaskClient, username: str, password: str = PASSWORD, **headers: str):
        token = csrf_token(client)
        return client.post(
            "/_strangler/login",
            data={"username": username, "password": password, "csrf_token": token},
            headers=headers,
        )

    return log_in
