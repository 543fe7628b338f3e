"""Shadow wiring in the proxy: validation of shadow settings, the tee, the dry-run marker,
forged markers, noise --accept and prune."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from backend import create_app as create_backend
from backend.database import REPO_ROOT, db
from backend.dryrun import MAX_AGE_SECONDS, signer
from proxy.dryrun import dry_run_marker
from proxy.headers import upstream_headers
from proxy.mirroring import Tee
from proxy.schema import RouteEntry, ShadowDefaults
from proxy.validation import RouteFileError, load_table
from rollout import create_app
from rollout.cli import parity_group
from rollout.models import RouteChange
from shadow import Observation, Outcome, ParityStore, compare
from shadow.rules import SETTING_KEYS

ROUTES = """
shadow:
  ignore: [body.user.token]
routes:
  - route: GET /api/tags
    serve: legacy
    shadow: flask
"""


def test_a_client_cannot_send_a_dry_run_marker() -> None:
    environ = {"HTTP_X_STRANGLER_DRY_RUN": "forged", "HTTP_AUTHORIZATION": "Token t",
               "REMOTE_ADDR": "127.0.0.1"}
    headers = upstream_headers(environ, "rid-1")
    assert "x-strangler-dry-run" not in headers
    assert headers["authorization"] == "Token t"


def test_the_proxy_signs_markers_the_backend_accepts() -> None:
    backend = create_backend({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                              "JWT_SECRET": "a-secret"})
    value = dry_run_marker(backend.config)
    assert signer(backend).unsign(value, max_age=MAX_AGE_SECONDS) == b"dry-run"
    other = create_backend({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                            "JWT_SECRET": "another-secret"})
    with pytest.raises(Exception, match="Signature"):
        signer(other).unsign(value, max_age=MAX_AGE_SECONDS)


def test_the_tee_keeps_a_copy_up_to_its_cap() -> None:
    tee = Tee(5)
    assert list(tee.wrap([b"ab", b"cd"])) == [b"ab", b"cd"]
    assert (tee.body, tee.overflow) == (b"abcd", False)
    assert list(tee.wrap([b"ef", b"gh"])) == [b"ef", b"gh"]  # the client still gets it all
    assert (tee.body, tee.overflow) == (b"", True)


def test_shadow_rules_are_built_when_the_table_loads() -> None:
    table = load_table(ROUTES, "routes.yaml", None)
    assert [str(p) for p in table.experiments["GET /api/tags"].rules.ignore] == ["body.user.token"]


EVERY_RULE_SETTING = """
shadow:
  unordered: [body.tags]
  headers: [X-Total-Count]
  excuse_server_errors: false
routes:
  - route: GET /api/tags
    serve: legacy
    shadow: flask
    headers: [x-page]
  - route: GET /api/articles
    serve: legacy
    shadow: flask
    excuse_server_errors: true
"""


def test_every_documented_rule_setting_loads_and_takes_effect() -> None:
    table = load_table(EVERY_RULE_SETTING, "routes.yaml", None)
    tags = table.experiments["GET /api/tags"].rules
    articles = table.experiments["GET /api/articles"].rules
    assert [str(p) for p in tags.unordered] == [str(p) for p in articles.unordered] == [
        "body.tags"]
    assert {"x-total-count", "x-page"} <= tags.headers
    assert "x-total-count" in articles.headers and "x-page" not in articles.headers
    assert (tags.excuse_server_errors, articles.excuse_server_errors) == (False, True)

    def answer(tags: list[str], status: int = 200, total: str = "2") -> Observation:
        return Observation(status, {"Content-Type": "application/json", "X-Total-Count": total,
                                    "X-Page": "1"}, json.dumps({"tags": tags}).encode())

    assert compare(answer(["a", "b"]), answer(["b", "a"]), tags).outcome is Outcome.MATCH
    assert compare(answer(["a"]), answer(["a"], total="3"), tags).outcome is Outcome.MISMATCH
    both_fail = answer([], status=500), answer([], status=502)
    assert compare(*both_fail, tags).outcome is Outcome.MISMATCH
    assert compare(*both_fail, articles).outcome is Outcome.IGNORED


def test_the_schema_accepts_every_rule_setting() -> None:
    for model in (ShadowDefaults, RouteEntry):
        assert set(SETTING_KEYS) <= set(model.model_fields), model.__name__


def test_a_bad_global_unordered_path_names_its_line() -> None:
    with pytest.raises(RouteFileError) as caught:
        load_table(ROUTES.replace("  ignore: [body.user.token]\n",
                                  "  ignore: [body.user.token]\n  unordered: ['']\n"),
                   "routes.yaml", None)
    assert "routes.yaml:4: shadow.unordered: shadow.unordered: field path ''" in str(
        caught.value)


@pytest.mark.parametrize(
    "change, problem",
    [
        ("    ignore: ['body.[']\n", "routes.yaml:8: routes[0].ignore"),
        ("    unordered: ['']\n", "routes.yaml:8: routes[0].unordered"),
        ("    writes: dry-run\n", "legacy as candidate never receives writes"),
    ],
)
def test_bad_shadow_settings_make_the_table_invalid(change: str, problem: str) -> None:
    text = ROUTES + change
    if "writes" in change:
        text = text.replace("serve: legacy\n    shadow: flask", "serve: flask\n    shadow: legacy")
    with pytest.raises(RouteFileError) as caught:
        load_table(text, "routes.yaml", None)
    assert problem in str(caught.value)


def test_dry_run_with_a_flask_candidate_is_valid() -> None:
    table = load_table(ROUTES + "    writes: dry-run\n", "routes.yaml", None)
    assert table.routes[0].entry.writes == "dry-run"


@pytest.fixture
def app(backend_app: Flask, tmp_path: Path, databases) -> Flask:
    path = tmp_path / "routes.yaml"
    path.write_text((REPO_ROOT / "routes.yaml").read_text())
    app = create_app({"TESTING": True, "ROUTES_FILE": str(path), "BACKEND_APP": backend_app,
                      "SQLALCHEMY_DATABASE_URI": databases.create("sqlite")})
    yield app
    with app.app_context():
        db.engine.dispose()


def test_noise_accept_adds_ignore_rules_keeping_comments_and_audits(app: Flask) -> None:
    path = Path(app.config["ROUTES_FILE"])
    with app.app_context():
        ParityStore(db.engine).record_noise("GET /api/tags", ["body.tags[*]", "body.nonce"])
    runner = app.test_cli_runner()
    listed = runner.invoke(parity_group, ["noise", "GET /api/tags"])
    assert "body.nonce" in listed.output
    accepted = runner.invoke(parity_group, ["noise", "GET /api/tags", "--accept",
                                            "--actor", "ana", "--reason", "clock"])
    assert accepted.exit_code == 0, accepted.output
    text = path.read_text()
    assert "# The route table" in text and "# Favorites" in text
    table = load_table(text, str(path), None)
    entry = next(r.entry for r in table.routes if r.template == "GET /api/tags")
    assert sorted(entry.ignore) == ["body.nonce", "body.tags[*]"]
    again = runner.invoke(parity_group, ["noise", "GET /api/tags", "--accept"])
    assert "nothing changed" in again.output
    with app.app_context():
        changes = db.session.scalars(db.select(RouteChange)).all()
    assert [(c.route, c.actor, c.from_state, c.to_state) for c in changes] == [
        ("GET /api/tags", "ana", "legacy", "legacy")]
    assert "body.nonce" in changes[0].reason and "clock" in changes[0].reason


def test_prune_deletes_old_comparisons(app: Flask) -> None:
    from shadow import Comparison, Observation, Outcome, Result

    with app.app_context():
        store = ParityStore(db.engine)
        old = Comparison.of("GET /api/tags", "GET", "legacy", Observation(200),
                            Result(Outcome.MATCH))
        store.record([old, old, old])
        assert store.prune(max_age=timedelta(days=1), now=datetime.now(UTC)) == 0
    result = app.test_cli_runner().invoke(parity_group, ["prune", "--max-rows", "1"])
    assert result.exit_code == 0, result.output
    assert "Pruned 2 comparisons and 0 route traffic rows." in result.output
