"""The backend's dry-run seam reports writes that must not happen; the proxy strips the report
and turns it into the candidate's own failure (never a mismatch, never the control's)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from backend import create_app as create_backend
from backend.database import db
from backend.dryrun import EFFECTS_HEADER
from backend.models import User
from proxy.dryrun import dry_run_marker, read_only_marker
from proxy.mirror_sides import call_flask
from shadow import Exchange, Observation, Outcome, compare
from shadow.observation import EscapedWrite, WroteDuringRead
from tests.support.databases import DatabaseFactory
from tests.support.processes import TEST_JWT_SECRET

CAP = 1 << 20


@pytest.fixture
def backend(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Flask]:
    """The real backend on a migrated SQLite copy, with one user and two misbehaving routes."""
    path = tmp_path / "conduit.sqlite"
    shutil.copyfile(databases.create("sqlite").removeprefix("sqlite:///"), path)
    app = create_backend({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                          "JWT_SECRET": TEST_JWT_SECRET})

    def rewrite_on_read() -> dict[str, str]:
        db.session.query(User).update({"bio": "rewritten by a read"})
        db.session.commit()
        return {"ok": "yes"}

    def write_on_own_connection() -> dict[str, str]:
        with db.engine.begin() as connection:
            connection.execute(sa.update(User).values(bio="escaped"))
        return {"ok": "yes"}

    app.add_url_rule("/api/test-rewrite", view_func=rewrite_on_read)
    app.add_url_rule("/api/test-escape", view_func=write_on_own_connection, methods=["POST"])
    with app.app_context():
        db.session.add(User(username="jake", email="jake@example.com", password_hash="x"))
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def exchange(method: str, path: str) -> Exchange:
    environ = (("REQUEST_METHOD", method), ("SERVER_NAME", "127.0.0.1"),
               ("SERVER_PORT", "80"), ("wsgi.url_scheme", "http"), ("SCRIPT_NAME", ""),
               ("QUERY_STRING", ""), ("SERVER_PROTOCOL", "HTTP/1.1"))
    return Exchange(route=f"{method} {path}", method=method, path=path, target=path,
                    environ=environ)


def bios(app: Flask) -> list[str | None]:
    with app.app_context():
        return [user.bio for user in db.session.query(User)]


def header_names(observation: Observation) -> set[str]:
    return {name.lower() for name, _ in observation.headers}


def test_a_read_only_read_compares_without_the_seams_report(backend: Flask) -> None:
    plain = call_flask(backend, exchange("GET", "/api/tags"), cap=CAP)
    marked = call_flask(backend, exchange("GET", "/api/tags"), cap=CAP,
                        marker=read_only_marker(backend.config))
    assert (marked.status, marked.body) == (200, b'{"tags":[]}')
    assert EFFECTS_HEADER.lower() not in header_names(marked)
    assert compare(plain, marked).outcome is Outcome.MATCH


def test_a_write_during_a_mirrored_read_is_the_candidates_error(backend: Flask) -> None:
    control = Observation(200, [("Content-Type", "application/json")], b'{"ok":"yes"}')
    candidate = call_flask(backend, exchange("GET", "/api/test-rewrite"), cap=CAP,
                           marker=read_only_marker(backend.config))
    assert isinstance(candidate.exception, WroteDuringRead)
    result = compare(control, candidate)
    assert result.outcome is Outcome.CANDIDATE_ERROR
    assert "candidate wrote during a read" in (result.reason or "")
    assert "UPDATE users SET bio" in (result.reason or "")
    assert bios(backend) == [None]  # the shared data is untouched


def test_a_dry_run_write_on_its_own_connection_is_an_escaped_write(backend: Flask) -> None:
    control = Observation(200, [("Content-Type", "application/json")], b'{"ok":"yes"}')
    candidate = call_flask(backend, exchange("POST", "/api/test-escape"), cap=CAP,
                           marker=dry_run_marker(backend.config))
    assert isinstance(candidate.exception, EscapedWrite)
    result = compare(control, candidate)
    assert result.outcome is Outcome.ESCAPED_WRITE
    assert "outside its rolled-back transaction" in (result.reason or "")
    assert bios(backend) == [None]


def test_an_unmarked_call_is_not_judged_by_the_seam(backend: Flask) -> None:
    # The control's own recheck carries no marker: the backend writes and nothing is reported.
    observation = call_flask(backend, exchange("GET", "/api/test-rewrite"), cap=CAP)
    assert observation.status == 200
    assert EFFECTS_HEADER.lower() not in header_names(observation)
    assert bios(backend) == ["rewritten by a read"]
