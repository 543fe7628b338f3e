"""Fixtures for the proxy's unit tests: a small backend, route files, a threaded upstream."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask, jsonify, request

from backend.database import db
from proxy import create_app
from tests.support.upstream import Upstream


@pytest.fixture
def backend_app() -> Flask:
    """A Flask backend that implements GET /api/tags and GET /api/articles/<slug>."""
    app = Flask("fake_backend")
    app.config["JWT_SECRET"] = "fake-backend-secret"  # signs the dry-run/read-only markers

    @app.get("/api/tags")
    def tags():
        return jsonify(tags=["flask"], path=request.path, headers=dict(request.headers))

    @app.get("/api/articles/<slug>")
    def article(slug: str):
        return jsonify(slug=slug)

    @app.post("/api/articles/<slug>/comments")
    def comment(slug: str):
        return jsonify(length=len(request.get_data())), 201

    return app


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    server = Upstream().start()
    yield server
    server.stop()


@pytest.fixture
def write_routes(tmp_path: Path) -> Callable[[str], Path]:
    """Write routes.yaml text to a temporary file and return its path."""
    path = tmp_path / "routes.yaml"

    def write(text: str) -> Path:
        path.write_text(text)
        return path

    return write


@pytest.fixture
def make_proxy(
    backend_app: Flask, write_routes, upstream: Upstream
) -> Iterator[Callable[..., Flask]]:
    """Create the proxy app on a route file (legacy = the threaded upstream)."""
    apps: list[Flask] = []

    def make(routes: str, factory: Callable[..., Flask] = create_app, **config) -> Flask:
        """``factory``: ``proxy.create_app`` (the data plane) or ``rollout.create_app``."""
        path = write_routes(routes)
        settings = {
            "TESTING": True,
            "ROUTES_FILE": str(path),
            "LEGACY_URL": upstream.url,
            "BACKEND_APP": backend_app,
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            **config,
        }
        apps.append(factory(settings))
        return apps[-1]

    yield make
    for app in apps:
        traffic = getattr(app.extensions["strangler"], "traffic", None)
        if traffic is not None:
            traffic.close()  # its thread, started by the first request (an in-memory
        with app.app_context():  # database has no route_traffic: one failed flush, logged)
            db.engine.dispose()
