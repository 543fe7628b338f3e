"""``strangler routes ...``: list, set (with the audit log), check, history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from backend.database import REPO_ROOT, db
from rollout import create_app
from rollout.cli import routes
from rollout.models import RouteChange


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
        (["flask", "--no-shadow"], "flask alone", "flask", False),
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


# Run in a fresh interpreter: Flask's instance folder is moved to INSTANCE and every password
# hash is counted, from before the first import of the strangler packages.
_CLI_SIDE_EFFECTS = """
import sys
from pathlib import Path

import flask
import werkzeug.security

instance, command = Path(sys.argv[1]), sys.argv[2:]
flask.Flask.auto_find_instance_path = lambda self: str(instance)
hashes = []
real_hash = werkzeug.security.generate_password_hash
werkzeug.security.generate_password_hash = lambda *a, **k: hashes.append(1) or real_hash(*a, **k)
if command == ["--full-app"]:
    from rollout import create_app

    create_app()
else:
    from rollout.cli import cli

    try:
        cli.main(command, prog_name="strangler")
    except SystemExit as exit:
        assert not exit.code, exit.code
print("hashes", len(hashes))
"""


def _side_effects(tmp_path: Path, routes: Path, *command: str) -> tuple[bool, str]:
    instance = tmp_path / "instance"
    env = {**os.environ, "ROUTES_FILE": str(routes),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'strangler.db'}"}
    env.pop("STRANGLER_SECRET_KEY", None)
    done = subprocess.run([sys.executable, "-c", _CLI_SIDE_EFFECTS, str(instance), *command],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return (instance / "secret_key").exists(), done.stdout.splitlines()[-1]


def test_read_only_commands_do_not_build_the_dashboard(tmp_path: Path) -> None:
    routes = tmp_path / "routes.yaml"
    routes.write_text((REPO_ROOT / "routes.yaml").read_text())

    assert _side_effects(tmp_path, routes, "routes", "list") == (False, "hashes 0")
    assert _side_effects(tmp_path, routes, "routes", "check") == (False, "hashes 0")
    # The served app does build it: the key is written where this harness looks.
    assert _side_effects(tmp_path, routes, "--full-app")[0] is True


@pytest.fixture
def full_app(tmp_path: Path, databases):
    """The app with the real Flask backend (built lazily, as the command does)."""
    path = tmp_path / "routes.yaml"
    path.write_text((REPO_ROOT / "routes.yaml").read_text())
    app = create_app({
        "TESTING": True,
        "ROUTES_FILE": str(path),
        "SQLALCHEMY_DATABASE_URI": databases.create("sqlite"),
    })
    yield app
    with app.app_context():
        db.engine.dispose()


def audit_rows(app) -> list[tuple[str, str, str, str, str | None]]:
    with app.app_context():
        return [(c.route, c.from_state, c.to_state, c.actor, c.reason)
                for c in db.session.scalars(sa.select(RouteChange).order_by(RouteChange.id))]


def test_set_all_flask_with_default_is_one_write_and_one_audit(full_app) -> None:
    writes: list[int] = []
    real_replace = os.replace
    try:
        os.replace = lambda *a: writes.append(1) or real_replace(*a)
        result = invoke(full_app, "set", "--all", "flask", "--default", "flask",
                        "--reason", "cut over", "--actor", "ada")
    finally:
        os.replace = real_replace
    assert result.exit_code == 0, result.output
    assert writes == [1]
    rows = json.loads(invoke(full_app, "list", "--json").output)
    assert len(rows) == 19
    assert {(r["state"], r["serve"], r["shadow"]) for r in rows} == {("flask", "flask", "legacy")}
    assert "(unlisted routes: flask;" in invoke(full_app, "list").output
    text = routes_text(full_app)
    assert "\ndefault: flask                        # legacy | flask" in text  # comment kept
    audit = audit_rows(full_app)
    assert len(audit) == 20
    assert audit[-1] == ("(default)", "legacy", "flask", "ada", "cut over")
    assert {row[1:] for row in audit[:-1]} == {("legacy", "flask", "ada", "cut over")}
    assert sorted(row[0] for row in audit[:-1]) == sorted(r["route"] for r in rows)
    assert "default: legacy -> flask (by ada)" in result.output
    again = invoke(full_app, "set", "--all", "flask", "--default", "flask")
    assert "GET /api/tags is already flask; nothing changed" in again.output
    assert "default is already flask; nothing changed" in again.output
    assert len(audit_rows(full_app)) == 20


def test_set_selects_by_glob_and_several_routes(app) -> None:
    result = invoke(app, "set", "* /api/articles*", "shadow", "--actor", "ada")
    assert result.exit_code == 0, result.output
    states = {r["route"]: r["state"] for r in json.loads(invoke(app, "list", "--json").output)}
    articles = {route for route in states if route.split()[1].startswith("/api/articles")}
    assert len(articles) == 11  # the article, feed, favorite and comment operations
    assert {route for route, state in states.items() if state == "shadow"} == articles
    assert len(audit_rows(app)) == 11
    # Several routes, one of them typed unquoted (two words), and a narrower glob.
    result = invoke(app, "set", "GET", "/api/tags", "POST /api/users", "get /api/articles*",
                    "legacy")
    assert result.exit_code == 0, result.output
    states = {r["route"]: r["state"] for r in json.loads(invoke(app, "list", "--json").output)}
    assert {route for route, state in states.items() if state == "shadow"} == {
        route for route in articles if not route.startswith("GET ")}
    assert "GET /api/tags is already legacy; nothing changed" in result.output
    assert len(audit_rows(app)) == 11 + 4  # GET /api/articles, /feed, /:slug, /:slug/comments


@pytest.mark.parametrize("selector", ["* /api/nothing*", "GET /api/tag", "GET /api/users"])
def test_set_with_a_selector_matching_nothing_writes_nothing(app, selector) -> None:
    before = Path(app.config["ROUTES_FILE"]).read_bytes()
    result = invoke(app, "set", "GET /api/tags", selector, "shadow", "--default", "flask")
    assert result.exit_code == 1
    assert f"no listed route matches '{selector}'" in result.output
    assert "nothing changed" in result.output
    assert Path(app.config["ROUTES_FILE"]).read_bytes() == before
    assert audit_rows(app) == []


def test_set_default_alone(app) -> None:
    result = invoke(app, "set", "--default", "flask", "--actor", "ada")
    assert result.exit_code == 0, result.output
    assert audit_rows(app) == [("(default)", "legacy", "flask", "ada", None)]
    assert "(unlisted routes: flask;" in invoke(app, "list").output
    assert invoke(app, "set", "--all").exit_code == 2
    assert invoke(app, "set", "--all", "GET /api/tags", "shadow").exit_code == 2


def _with_dry_run(app) -> str:
    path = Path(app.config["ROUTES_FILE"])
    text = path.read_text().replace(
        "  - route: GET /api/tags\n    serve: legacy\n",
        "  - route: GET /api/tags\n    serve: legacy\n    shadow: flask\n"
        "    writes: dry-run   # Flask's writes rolled back\n    sample: 0.5\n")
    path.write_text(text)
    return text


@pytest.mark.parametrize(("args", "state"), [(["flask"], "flask"),
                                             (["flask", "--no-shadow"], "flask alone")])
def test_flipping_a_dry_run_route_to_flask_drops_the_key_and_says_so(app, args, state) -> None:
    before = _with_dry_run(app)
    result = invoke(app, "set", "GET /api/tags", *args)
    assert result.exit_code == 0, result.output
    assert f"GET /api/tags: shadow -> {state}" in result.output
    assert "dropped writes: dry-run from GET /api/tags: Flask serves it now" in result.output
    after = routes_text(app)
    entry = after[after.index("  - route: GET /api/tags\n"):]
    serve = "flask" if state == "flask" else "flask\n"
    assert entry.startswith(f"  - route: GET /api/tags\n    serve: {serve}")
    assert "writes" not in entry and "rolled back" not in entry  # the key and its comment
    assert "    sample: 0.5\n" in entry  # the rest of the entry kept
    assert after.splitlines()[:20] == before.splitlines()[:20]


def test_flipping_a_dry_run_route_to_canary_keeps_the_key_and_says_so(app) -> None:
    _with_dry_run(app)
    result = invoke(app, "set", "GET /api/tags", "canary", "10")
    assert result.exit_code == 0, result.output
    assert "kept writes: dry-run on GET /api/tags" in result.output
    assert "writes: dry-run" in routes_text(app)


def test_check_without_legacy_names_everything_that_still_reaches_legacy(
        full_app, tmp_path: Path) -> None:
    table = tmp_path / "routes.yaml"
    table.write_text("default: legacy\nshadow: {unmatched: flask}\nroutes:\n"
                     "  - route: GET /api/tags\n    serve: flask\n"
                     "  - route: GET /api/user\n    serve: flask\n    shadow: legacy\n"
                     "  - route: POST /api/users\n    serve: {flask: 90, legacy: 10}\n"
                     "  - route: GET /api/articles\n    serve: legacy\n")
    result = invoke(full_app, "check", str(table), "--without-legacy")
    assert result.exit_code == 1
    assert result.output.splitlines()[1:] == [
        "  default: legacy serves every request no route matches",
        "  GET /api/user: legacy is compared (shadow: legacy)",
        "  POST /api/users: legacy serves 10% (canary)",
        "  GET /api/articles: legacy serves it",
    ]
    assert "legacy is still needed" in result.output.splitlines()[0]
    done = tmp_path / "done.yaml"
    done.write_text("default: flask\nroutes:\n  - route: GET /api/tags\n    serve: flask\n")
    result = invoke(full_app, "check", str(done), "--without-legacy")
    assert result.exit_code == 0, result.output
    assert "no request reaches legacy" in result.output


def test_check_without_legacy_passes_on_the_table_at_the_end_of_a_migration(full_app) -> None:
    assert invoke(full_app, "check", "--without-legacy").exit_code == 1  # the repo's table
    flipped = invoke(full_app, "set", "--all", "flask", "--no-shadow", "--default", "flask",
                     "--actor", "ada")
    assert flipped.exit_code == 0, flipped.output
    result = invoke(full_app, "check", "--without-legacy")
    assert result.exit_code == 0, result.output
