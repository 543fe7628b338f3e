"""The controller on SQLite: promote after the hold, roll back or pause on a breach, adopt a
hand flip, leave unplanned routes alone; operators pause, resume and abort; status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from prometheus_client import REGISTRY

from backend.database import db
from dbtypes import utcnow
from proxy.lifecycle import RouteState
from rollout import operator
from rollout.commands import rollout_cli
from rollout.controller import Controller
from rollout.leadership import Leadership
from rollout.models import RolloutState, RouteChange
from rollout.route_file import flip_route, read_routes
from shadow import schema

TAGS, ARTICLES = "GET /api/tags", "GET /api/articles"


def compared(route: str, outcome: str, count: int) -> None:
    db.session.execute(sa.insert(schema.comparisons), [
        {"route": route, "method": "GET", "outcome": outcome, "control_side": "legacy",
         "control_ms": 1.0, "candidate_ms": 1.0, "compared_at": utcnow()}
        for _ in range(count)])
    db.session.commit()


def controller(app: Flask) -> Controller:
    return Controller(Path(app.config["ROUTES_FILE"]), db.engine, actor="rollout@test:1")


def step(app: Flask, route: str) -> str:
    return read_routes(Path(app.config["ROUTES_FILE"])).state_of(route)


def decisions(app: Flask) -> dict[str, str]:
    return {d.route: d.action for d in controller(app).evaluate()}


def test_a_step_is_promoted_once_the_gate_held_for_the_hold(app: Flask) -> None:
    with app.app_context():
        assert decisions(app) == {TAGS: "none", ARTICLES: "none"}  # no evidence: hold
        compared(TAGS, "match", 40)
        assert decisions(app)[TAGS] == "none"  # the gate passes: the hold starts
        assert decisions(app)[TAGS] == "promoted"
        assert step(app, TAGS) == "canary 10" and step(app, ARTICLES) == "shadow"
        change = db.session.scalars(sa.select(RouteChange)).one()
        assert (change.from_state, change.to_state, change.actor) == ("shadow", "canary 10",
                                                                      "rollout@test:1")
        assert "pass: 0/40 mismatched (95% Wilson 0.0000..0.0876, allowed 0.1000)" in \
            change.reason
        assert Path(app.config["ROUTES_FILE"]).read_text().startswith("# kept")
        # evidence counts from the step's start: the 40 matches do not promote canary 10
        assert decisions(app)[TAGS] == "none"
        assert step(app, TAGS) == "canary 10"


def test_a_breach_rolls_back_to_the_first_step_and_stops(app: Flask) -> None:
    with app.app_context():
        flip_route(Path(app.config["ROUTES_FILE"]), TAGS, RouteState("canary 10"), actor="op")
        compared(TAGS, "mismatch", 5)
        compared(TAGS, "match", 15)
        before = REGISTRY.get_sample_value("strangler_rollout_rollbacks_total",
                                           {"route": TAGS, "action": "rollback"}) or 0
        assert decisions(app)[TAGS] == "rolled back"
        assert step(app, TAGS) == "shadow"
        assert REGISTRY.get_sample_value("strangler_rollout_rollbacks_total",
                                         {"route": TAGS, "action": "rollback"}) == before + 1
        assert REGISTRY.get_sample_value("strangler_rollout_step", {"route": TAGS}) == 0
        row = db.session.get(RolloutState, TAGS)
        assert row.status == "rolled back" and "evaluation #1" in row.note
        compared(TAGS, "match", 100)
        assert decisions(app)[TAGS] == "stopped"  # until resumed
        operator.resume(Path(app.config["ROUTES_FILE"]), TAGS, actor="op")
        assert db.session.get(RolloutState, TAGS).status == "running"


def test_on_breach_pause_keeps_the_step(app: Flask) -> None:
    with app.app_context():
        compared(ARTICLES, "candidate_error", 1)
        assert decisions(app)[ARTICLES] == "paused"
        assert step(app, ARTICLES) == "shadow"
        assert "1 candidate failures > 0 allowed" in db.session.get(RolloutState, ARTICLES).note


def test_a_hand_flip_is_adopted_and_an_unplanned_step_left_alone(app: Flask) -> None:
    with app.app_context():
        decisions(app)
        path = Path(app.config["ROUTES_FILE"])
        flip_route(path, TAGS, RouteState("canary 10"), actor="op")
        decisions(app)
        assert db.session.get(RolloutState, TAGS).step == "canary 10"
        flip_route(path, TAGS, RouteState("canary 25"), actor="op")
        assert decisions(app)[TAGS] == "off plan"
        assert step(app, TAGS) == "canary 25"


def test_operators_pause_resume_and_abort(app: Flask) -> None:
    path = Path(app.config["ROUTES_FILE"])
    with app.app_context():
        flip_route(path, TAGS, RouteState("canary 10"), actor="op")
        assert operator.pause(path, TAGS, actor="ann", reason="lunch") == "paused by ann: lunch"
        with pytest.raises(operator.RolloutError, match="already paused"):
            operator.pause(path, TAGS, actor="ann")
        compared(TAGS, "match", 40)
        assert decisions(app)[TAGS] == "stopped"
        assert operator.abort(path, TAGS, actor="bob") == \
            "GET /api/tags: canary 10 -> shadow; rollout aborted by bob"
        assert step(app, TAGS) == "shadow"
        with pytest.raises(operator.RolloutError, match="no rollout plan"):
            operator.pause(path, "GET /api/articles/:slug", actor="ann")
        rows = db.session.scalars(sa.select(RouteChange).order_by(RouteChange.id)).all()
        assert [(r.actor, r.from_state, r.to_state) for r in rows] == [
            ("op", "shadow", "canary 10"), ("ann", "canary 10", "canary 10"),
            ("bob", "canary 10", "shadow")]


def test_status_json_shows_plan_gate_and_next_decision(app: Flask) -> None:
    with app.app_context():
        compared(TAGS, "match", 40)
        decisions(app)
    result = app.test_cli_runner().invoke(rollout_cli, ["status", "--json"])
    assert result.exit_code == 0, result.output
    tags, articles = json.loads(result.output)
    assert tags["route"] == TAGS and tags["step"] == "shadow" and tags["step_index"] == 0
    assert tags["plan"]["steps"] == ["shadow", "canary 10", "flask"]
    assert tags["gate"]["decision"] == "pass" and tags["gate"]["judged"] == 40
    assert tags["next"] == "promote to canary 10 in 0s if the gate holds"
    assert articles["next"] == "wait: 0/20 comparisons"
    text = app.test_cli_runner().invoke(rollout_cli, ["status"]).output
    assert "plan: [shadow] > canary 10 > flask" in text


def test_one_controller_holds_the_lock_at_a_time(app: Flask, databases) -> None:
    urls = [app.config["SQLALCHEMY_DATABASE_URI"], databases.create("postgresql",
                                                                     migrated=False)]
    for url in urls:
        engines = [sa.create_engine(url), sa.create_engine(url)]
        first, second = (Leadership(e) for e in engines)
        try:
            assert first.acquire() and first.acquire()
            assert not second.acquire()
            first.release()
            assert second.acquire()
        finally:
            first.release()
            second.release()
            for engine in engines:
                engine.dispose()


def test_status_of_an_invalid_file_names_the_problem(app: Flask) -> None:
    Path(app.config["ROUTES_FILE"]).write_text("rollout:\n  hold: soon\nroutes: []\n")
    result = app.test_cli_runner().invoke(rollout_cli, ["status"])
    assert result.exit_code == 1
    assert "rollout.hold: 'soon' is not a duration" in result.output


def test_run_once_evaluates_and_promotes(app: Flask) -> None:
    with app.app_context():
        compared(TAGS, "match", 40)
    runner = app.test_cli_runner()
    for _ in range(2):  # the gate passes, then the hold (1 ms) has passed
        result = runner.invoke(rollout_cli, ["run", "--once"])
        assert result.exit_code == 0, result.output
    assert "GET /api/tags: promoted -> canary 10 (pass: 0/40 mismatched" in result.output
    with app.app_context():
        assert step(app, TAGS) == "canary 10"
