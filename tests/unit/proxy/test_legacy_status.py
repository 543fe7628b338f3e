"""``strangler legacy status``: the window, the verdict's three conditions, text and JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend.database import db
from proxy import traffic
from rollout import create_app
from rollout.legacy import legacy, parse_window
from tests.support import routes

ALL_FLASK = routes.routes_yaml("flask", default="flask", routes={
    route: {"shadow": False} for route in routes.operations()})


@pytest.mark.parametrize(("text", "window"), [
    ("7d", timedelta(days=7)), ("24h", timedelta(hours=24)), ("30m", timedelta(minutes=30)),
    ("90s", timedelta(seconds=90)),
])
def test_windows(text: str, window: timedelta) -> None:
    assert parse_window(text) == window


@pytest.mark.parametrize("text", ["", "7", "0d", "1w", "-1d", "d7"])
def test_bad_windows_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a window"):
        parse_window(text)


@pytest.fixture
def app(backend_app, tmp_path: Path, databases):
    path = tmp_path / "routes.yaml"
    path.write_text(ALL_FLASK)
    app = create_app({"TESTING": True, "ROUTES_FILE": str(path), "BACKEND_APP": backend_app,
                      "SQLALCHEMY_DATABASE_URI": databases.create("sqlite")}, dashboard=False)
    yield app
    with app.app_context():
        db.engine.dispose()


def counted(app, side: str, ago: timedelta = timedelta()) -> None:
    minute = int((datetime.now(UTC) - ago).timestamp() // 60)
    with app.app_context():
        traffic.record(db.engine, {(minute, "GET /api/tags", True, "request", side): 5})


def status(app, *args: str):
    return app.test_cli_runner().invoke(legacy, ["status", *args])


def test_no_traffic_is_no_evidence(app) -> None:
    result = status(app)
    assert result.exit_code == 1
    assert "the proxy recorded no traffic in the window, so there is no evidence" in result.output


def test_an_all_flask_table_with_flask_traffic_lets_legacy_go(app) -> None:
    counted(app, "flask")
    counted(app, "legacy", ago=timedelta(days=2))
    result = status(app, "--since", "24h")
    assert result.exit_code == 0, result.output
    assert "Route table (routes check --without-legacy): sends legacy nothing" in result.output
    # stdout only: another test's server thread may print to stderr meanwhile
    assert result.stdout.splitlines()[-1].startswith("Legacy can be switched off: none of the 5")
    week = json.loads(status(app, "--since", "7d", "--json").output)
    assert week["can_switch_off"] is False
    assert week["legacy"]["routes"][0]["route"] == "GET /api/tags"
    assert week["verdict"] == "Legacy is still needed: 5 requests reached it in the window."


def test_a_bad_window_is_a_usage_error(app) -> None:
    result = status(app, "--since", "a week")
    assert result.exit_code == 2 and "--since" in result.output
