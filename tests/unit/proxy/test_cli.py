"""``strangler routes ...``: list, set (with the audit log), check, history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.database import REPO_ROOT, db
from proxy import create_app
from proxy.cli import routes
from proxy.models import RouteChange


@pytest.fixture
def app(backend_app, tmp_path: Path, databases):
    path = tmp_path / "routes.yaml"
    path.write_text((REPO_ROOT / "routes.yaml").read_text())
    app = create_app({
        "TESTING": True,
        "ROUTES_FILE": str(path),
        "BACKEND_APP": backend_app,
        "SQLALCHEMY_DATABASE_URI": databases.create("sqlite"),
    })
    yield app
    with app.app_context():
        db.engine.dispose()


def invoke(app, *args: str):
    return app.test_cli_runner().invoke(routes, list(args))


def routes_text(app) -> str:
    return Path(app.config["ROUTES_FILE"]).read_text()


def test_list_shows_every_route_on_legacy(app) -> None:
    result = invoke(app, "list", "--json")
    rows = json.loads(result.output)
    assert result.exit_code == 0
    assert len(rows) == 19
    assert rows[-1] == {"route": "GET /api/tags", "state": "legacy", "serve": "legacy",
                        "shadow": False}
    table = invoke(app, "list").output
    assert "GET /api/articles/:slug" in table and "STATE" in table


@pytest.mark.parametrize(
    ("args", "state", "serve", "shadow"),
    [
        (["shadow"], "shadow", "legacy", "flask"),
        (["canary", "10"], "canary 10", {"flask": 10, "legacy": 90}, "both"),
        (["flask"], "flask", "flask", "legacy"),
        (["flask", "--no-shadow"], "flask --no-shadow", "flask", False),
    ],
)
def test_set_moves_a_route_and_records_who(app, args, state, serve, shadow) -> None:
    before = routes_text(app)
    result = invoke(app, "set", "GET /api/tags", *args, "--reason", "ticket 12", "--actor", "ada")
    assert result.exit_code == 0, result.output
    assert f"GET /api/tags: legacy -> {state} (by ada)" in result.output
    row = next(r for r in json.loads(invoke(app, "list", "--json").output)
               if r["route"] == "GET /api/tags")
    assert (row["state"], row["serve"], row["shadow"]) == (state, serve, shadow)
    after = routes_text(app)
    assert after.splitlines()[:20] == before.splitlines()[:20]  # comments and order kept
    assert "  # Tags\n  - route: GET /api/tags\n" in after
    with app.app_context():
        change = db.session.scalars(sa.select(RouteChange)).one()
    assert (change.route, change.from_state, change.to_state, change.actor, change.reason) == (
        "GET /api/tags", "legacy", state, "ada", "ticket 12")


def test_set_back_to_legacy_round_trips_the_file(app) -> None:
    before = routes_text(app)
    invoke(app, "set", "GET /api/tags", "canary", "25")
    invoke(app, "set", "GET /api/tags", "legacy")
    assert routes_text(app) == before
    history = invoke(app, "history").output.splitlines()
    assert "GET /api/tags: canary 25 -> legacy" in history[0]
    assert "GET /api/tags: legacy -> canary 25" in history[1]


def test_set_refuses_what_the_backend_does_not_implement(app) -> None:
    before = routes_text(app)
    result = invoke(app, "set", "POST /api/users", "flask")
    assert result.exit_code == 1
    assert "the Flask backend does not implement POST /api/users" in result.output
    assert routes_text(app) == before
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RouteChange)) == 0


def test_set_validates_its_arguments(app) -> None:
    assert invoke(app, "set", "GET /api/tags", "canary").exit_code == 2
    assert invoke(app, "set", "GET /api/tags", "shadow", "--no-shadow").exit_code == 2
    assert invoke(app, "set", "FETCH /api/tags", "shadow").exit_code == 2
    assert invoke(app, "set", "GET /api/tags", "canary", "100").exit_code == 2


def test_set_the_same_state_changes_nothing(app) -> None:
    result = invoke(app, "set", "GET /api/tags", "legacy")
    assert "already legacy" in result.output
    assert invoke(app, "history").output == ""


def test_check_names_the_problem_and_fails(app, tmp_path: Path) -> None:
    assert invoke(app, "check").output.startswith("OK: 19 routes, version ")
    bad = tmp_path / "bad.yaml"
    bad.write_text("routes:\n  - route: GET /api/tags\n    serve: flask\n    colour: red\n")
    result = invoke(app, "check", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:4: routes[0].colour: unknown key" in result.output
