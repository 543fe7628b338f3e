"""The parity commands against a real database, standalone and mounted in a Flask CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.cli import FlaskGroup

from shadow.cli import parity, parse_since
from shadow.store import ParityStore

ROUTE = "GET /api/profiles/:username"
PROFILE = {"profile": {"username": "jake", "bio": None, "following": False}}


@pytest.fixture
def filled(engine, make_comparison, database_url: str) -> str:
    store = ParityStore(engine)
    store.record(
        [
            make_comparison(PROFILE, PROFILE, route=ROUTE),
            make_comparison(
                PROFILE, {"profile": {"username": "jake", "bio": "", "following": False}},
                route=ROUTE, request_id="req-7",
            ),
        ]
    )  # fmt: skip
    store.record_noise(ROUTE, ["body.profile.image"])
    return database_url


def run(*args: str, url: str) -> str:
    result = CliRunner().invoke(parity, list(args), env={"DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return result.output


def test_report_table(filled: str) -> None:
    output = run("report", "--since", "1h", url=filled)
    header, line = output.splitlines()[:2]
    assert header.split()[:4] == ["route", "compared", "match", "mismatch"]
    assert line.startswith(ROUTE)
    assert line.split()[2:6] == ["2", "1", "1", "0"]  # compared, match, mismatch, ignored
    assert header.split()[5:7] == ["error", "escaped"]  # escaped writes get their own column
    assert line.split()[6:8] == ["0", "0"]
    assert "50.0" in line
    assert "1  body.profile.bio" in output
    # candidate p99 30 ms / control p99 20 ms; then the lag: none, nothing was queued
    assert line.split()[-2:] == ["1.50x", "-"]
    assert header.split()[-4:] == ["ratio", "lag", "p50/p99", "ms"]
    assert f"Not covered, {ROUTE}: only status 200 seen" in output


def test_report_json(filled: str) -> None:
    [row] = json.loads(run("report", "--json", url=filled))
    assert (row["route"], row["compared"], row["match"], row["mismatch"]) == (ROUTE, 2, 1, 1)
    assert row["top_paths"] == [{"path": "body.profile.bio", "count": 1}]
    assert (row["control_p99_ms"], row["candidate_p99_ms"], row["latency_ratio"]) == (
        20.0, 30.0, 1.5)  # the fixture's defaults: 20 ms and 30 ms
    assert row["coverage"]["statuses"] == {"200": 2}
    assert "body.profile.username" in row["coverage"]["filled"]


def test_show_prints_path_and_both_values(filled: str) -> None:
    output = run("show", ROUTE, "--limit", "3", url=filled)
    assert "request req-7" in output
    assert "body.profile.bio  [type_changed]" in output
    assert "control:   null" in output and 'candidate: ""' in output


def test_noise_lists_candidates(filled: str) -> None:
    assert "1  body.profile.image" in run("noise", ROUTE, url=filled)
    assert json.loads(run("noise", ROUTE, "--json", url=filled))[0]["path"] == "body.profile.image"


def test_nothing_recorded_says_so(filled: str) -> None:
    assert "No mismatches sampled for GET /api/tags" in run("show", "GET /api/tags", url=filled)
    assert "No noise candidates" in run("noise", "GET /api/tags", url=filled)


def test_the_flask_app_database_wins_over_database_url(filled: str, tmp_path) -> None:
    # Mounted the way ``strangler`` mounts it: rollout names its Flask app's database.
    from rollout.cli import parity_group

    app = Flask("proxy-like")
    app.config["SQLALCHEMY_DATABASE_URI"] = filled
    cli = FlaskGroup(create_app=lambda: app, add_default_commands=False)
    cli.add_command(parity_group)
    elsewhere = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(
        cli, ["parity", "report", "--json"], env={"DATABASE_URL": elsewhere}
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["route"] == ROUTE


def test_no_database_is_a_usage_error(monkeypatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(parity, ["report"])
    assert result.exit_code == 2
    assert "DATABASE_URL" in result.output


@pytest.mark.parametrize(
    ("text", "hours"), [("1h", 1), ("30m", 0.5), ("2d", 48), ("1w", 168), ("45s", 45 / 3600)]
)
def test_parse_since(text: str, hours: float) -> None:
    now = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    assert (now - parse_since(text, now)).total_seconds() == hours * 3600


def test_parse_since_accepts_iso_and_rejects_nonsense() -> None:
    assert parse_since("2026-11-26T04:00:00") == datetime(2026, 11, 26, 4, tzinfo=UTC)
    with pytest.raises(Exception, match="use e.g. 30m"):
        parse_since("yesterday")


def test_report_and_show_group_mismatches_by_paths_and_kinds(engine, make_comparison,
                                                             database_url: str) -> None:
    """Ten mismatches on the same field are one group; another field is another group."""
    bio = {"profile": {"username": "jake", "bio": "", "following": False}}
    other = {"profile": {"username": "jake", "bio": None, "following": True}}
    ParityStore(engine).record(
        [make_comparison(PROFILE, bio, route=ROUTE, request_id=f"bio-{n}") for n in range(10)]
        + [make_comparison(PROFILE, other, route=ROUTE, request_id="follow-1")])
    [row] = json.loads(run("report", "--json", url=database_url))
    assert [(g["paths"], g["kinds"], g["count"]) for g in row["groups"]] == [
        (["body.profile.bio"], ["type_changed"], 10),
        (["body.profile.following"], ["changed"], 1)]
    assert row["groups"][0]["samples"] == ["bio-0", "bio-1", "bio-2"]
    assert row["groups"][0]["first_seen"] <= row["groups"][0]["last_seen"]
    text = run("report", url=database_url)
    assert "10  " in text and f"{ROUTE}; body.profile.bio; type_changed" in text
    shown = run("show", ROUTE, url=database_url)
    assert f"{ROUTE}; body.profile.following; changed  e.g. request follow-1" in shown
