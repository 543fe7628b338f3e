"""Fixtures for the rollout controller's unit tests: an app on SQLite with a planned table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from backend.database import db
from rollout import create_app

TABLE = """\
# kept: the controller edits through the comment-keeping route edit
rollout:
  steps: [shadow, canary 10, flask]
  gate: {parity: 90, min_comparisons: 20, window: 10m, candidate_errors: 0,
         latency_ratio_p99: null}
  hold: 1ms
routes:
  - route: GET /api/tags
    serve: legacy
    shadow: flask
    rollout: default        # the one line most routes need
  - route: GET /api/articles
    serve: legacy
    shadow: flask
    rollout: {on_breach: pause}
  - route: GET /api/articles/:slug
    serve: legacy
"""


@pytest.fixture
def app(tmp_path: Path, databases) -> Iterator[Flask]:
    path = tmp_path / "routes.yaml"
    path.write_text(TABLE)
    app = create_app({"TESTING": True, "ROUTES_FILE": str(path),
                      "SQLALCHEMY_DATABASE_URI": databases.create("sqlite")}, dashboard=False,
                     serve=False)
    yield app
    with app.app_context():
        db.engine.dispose()
