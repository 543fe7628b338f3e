"""Dry-run requests run fully, answer normally, and leave nothing behind."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from itsdangerous import TimestampSigner

from backend import dryrun, signals
from backend.database import db
from backend.models import Article, User
from tests.support.api import Api
from tests.support.signals import received

NEW_USER = {"user": {"username": "ghost", "email": "ghost@example.com", "password": "password1"}}


def count_users(app: Flask) -> int:
    with app.app_context():
        return db.session.query(User).count()


def test_a_dry_run_registration_answers_201_and_leaves_no_row(app: Flask, api: Api) -> None:
    with received(signals.user_registered) as events:
        response = api.client.post("/api/users", json=NEW_USER,
                                   headers={dryrun.HEADER: dryrun.marker(app)})
    assert response.status_code == 201
    assert response.json["user"]["username"] == "ghost"
    assert events == []
    assert count_users(app) == 0
    real = api.client.post("/api/users", json=NEW_USER)
    assert real.status_code == 201
    assert count_users(app) == 1


def test_a_dry_run_sees_earlier_writes_and_reads_its_own(app: Flask, api: Api) -> None:
    api.register("jake")
    marker = {dryrun.HEADER: dryrun.marker(app)}
    created = api.call("POST", "/api/articles", "jake", headers=marker,
                       json={"article": {"title": "T", "description": "d", "body": "b",
                                         "tagList": ["x"]}})
    assert created.status_code == 201
    assert created.json["article"]["tagList"] == ["x"]
    assert api.call("GET", "/api/articles").json == {"articles": [], "articlesCount": 0}
    assert api.call("GET", "/api/tags").json == {"tags": []}


@pytest.mark.parametrize("value", ["", "garbage", "dry-run.AAAAAA.bad"])
def test_an_invalid_marker_is_refused(app: Flask, api: Api, value: str) -> None:
    response = api.client.post("/api/users", json=NEW_USER, headers={dryrun.HEADER: value})
    assert response.status_code == 400
    assert response.json == {"errors": {"dry-run": ["is invalid"]}}
    assert count_users(app) == 0


def test_an_old_or_foreign_marker_is_refused(app: Flask, api: Api) -> None:
    old = TimestampSigner(app.config["JWT_SECRET"], salt=dryrun.SALT)
    stale = old.sign("dry-run").decode()
    foreign = TimestampSigner("another-secret", salt=dryrun.SALT).sign("dry-run").decode()
    for value in (foreign,):
        response = api.client.post("/api/users", json=NEW_USER, headers={dryrun.HEADER: value})
        assert response.status_code == 400
    original = time.time
    try:
        time.time = lambda: original() + dryrun.MAX_AGE_SECONDS + 5
        response = api.client.post("/api/users", json=NEW_USER, headers={dryrun.HEADER: stale})
    finally:
        time.time = original
    assert response.status_code == 400
    assert count_users(app) == 0


def test_the_marker_secret_can_be_its_own(app: Flask, api: Api) -> None:
    app.config["STRANGLER_DRY_RUN_SECRET"] = "shadow-only-secret"
    jwt_signed = TimestampSigner(app.config["JWT_SECRET"], salt=dryrun.SALT).sign("x").decode()
    assert api.client.post("/api/users", json=NEW_USER,
                           headers={dryrun.HEADER: jwt_signed}).status_code == 400
    ok = api.client.post("/api/users", json=NEW_USER, headers={dryrun.HEADER: dryrun.marker(app)})
    assert ok.status_code == 201
    assert count_users(app) == 0


def bios(app: Flask) -> list[str | None]:
    with app.app_context():
        return [user.bio for user in db.session.query(User).order_by(User.id)]


def writing_routes(app: Flask) -> None:
    """Routes that misbehave as a migration bug would: a write on a GET, writes that escape."""

    def rewrite_on_read() -> dict[str, str]:
        for user in db.session.query(User):
            user.bio = "rewritten by a read"
        db.session.commit()
        return {"ok": "yes"}

    def write_on_own_connection() -> dict[str, str]:
        with db.engine.begin() as connection:
            connection.execute(sa.update(User).values(bio="escaped"))
        return {"ok": "yes"}

    def commit_the_outer_transaction() -> dict[str, str]:
        db.session.query(User).update({"bio": "committed"})
        db.session.connection().commit()
        return {"ok": "yes"}

    app.add_url_rule("/api/test-rewrite-on-read", view_func=rewrite_on_read)
    app.add_url_rule("/api/test-own-connection", view_func=write_on_own_connection,
                     methods=["GET", "POST"])
    app.add_url_rule("/api/test-commit", view_func=commit_the_outer_transaction, methods=["POST"])


def effects(response: Any) -> dict[str, Any]:
    return json.loads(response.headers[dryrun.EFFECTS_HEADER])


def test_a_read_only_read_answers_normally_and_reports_nothing(app: Flask, api: Api) -> None:
    api.register("jake")
    response = api.client.get("/api/profiles/jake",
                              headers={dryrun.HEADER: dryrun.marker(app, dryrun.READ_ONLY)})
    assert response.status_code == 200
    assert response.json["profile"]["username"] == "jake"
    assert effects(response) == {"mode": "read-only", "escaped": [], "wrote_during_read": []}


def test_a_request_without_a_marker_gets_no_effects_header(app: Flask, api: Api) -> None:
    api.register("jake")
    assert dryrun.EFFECTS_HEADER not in api.client.get("/api/profiles/jake").headers
    dry = api.client.get("/api/profiles/jake", headers={dryrun.HEADER: dryrun.marker(app)})
    assert effects(dry) == {"mode": "dry-run", "escaped": [], "wrote_during_read": [],
                            "changes": [], "rows": {"users": [[1]]}}


def test_a_write_during_a_read_only_read_fails_and_is_reported(app: Flask, api: Api) -> None:
    writing_routes(app)
    api.register("jake")
    response = api.client.get("/api/test-rewrite-on-read",
                              headers={dryrun.HEADER: dryrun.marker(app, dryrun.READ_ONLY)})
    assert response.status_code == 500
    [statement] = effects(response)["wrote_during_read"]
    assert statement.startswith("UPDATE users SET bio=")
    assert bios(app) == [None]
    # the same route unmarked does write: the read-only transaction is what stopped it
    assert api.client.get("/api/test-rewrite-on-read").status_code == 200
    assert bios(app) == ["rewritten by a read"]


@pytest.mark.parametrize("mode", ["dry-run", dryrun.READ_ONLY])
def test_a_write_on_another_connection_is_refused_and_reported(app: Flask, api: Api,
                                                               mode: str) -> None:
    writing_routes(app)
    api.register("jake")
    response = api.client.post("/api/test-own-connection",
                               headers={dryrun.HEADER: dryrun.marker(app, mode)})
    assert response.status_code == 500
    [statement] = effects(response)["escaped"]
    assert statement.startswith("UPDATE users SET bio=")
    assert bios(app) == [None]


def test_a_commit_of_the_dry_run_transaction_is_refused_and_reported(app: Flask,
                                                                     api: Api) -> None:
    writing_routes(app)
    api.register("jake")
    response = api.client.post("/api/test-commit", headers={dryrun.HEADER: dryrun.marker(app)})
    assert response.status_code == 500
    assert effects(response)["escaped"] == ["COMMIT"]
    assert bios(app) == [None]
    # the seam leaves the pooled connection usable and writable afterwards
    assert api.client.post("/api/test-commit").status_code == 200
    assert bios(app) == ["committed"]


def test_a_marked_request_in_flight_does_not_judge_another_threads_writes(app: Flask,
                                                                          api: Api) -> None:
    inside, release = threading.Event(), threading.Event()

    def slow_read() -> dict[str, int]:
        count = db.session.query(User).count()
        inside.set()
        release.wait(10)
        return {"count": count}

    app.add_url_rule("/api/test-slow", view_func=slow_read)
    api.register("jake")
    answers: list[Any] = []
    marked = threading.Thread(target=lambda: answers.append(api.client.get(
        "/api/test-slow", headers={dryrun.HEADER: dryrun.marker(app, dryrun.READ_ONLY)})))
    marked.start()
    try:
        assert inside.wait(10)
        # meanwhile, on this thread, an unmarked write commits as usual
        other = app.test_client().post("/api/users", json=NEW_USER)
        assert other.status_code == 201
    finally:
        release.set()
        marked.join(10)
    assert answers[0].status_code == 200
    assert effects(answers[0]) == {"mode": "read-only", "escaped": [], "wrote_during_read": []}
    assert count_users(app) == 2


def changes(response: Any) -> list[dict[str, Any]]:
    return effects(response)["changes"]


def test_a_dry_run_reports_its_inserts_with_whole_rows(app: Flask, api: Api) -> None:
    api.register("jake")
    created = api.call("POST", "/api/articles", "jake", headers={dryrun.HEADER: dryrun.marker(app)},
                       json={"article": {"title": "T", "description": "d", "body": "b",
                                         "tagList": ["x", "y"]}})
    assert created.status_code == 201
    found = {(c["table"], c["op"]) for c in changes(created)}
    assert found == {("articles", "+"), ("tags", "+"), ("article_tags", "+")}
    rows = [c for c in changes(created) if c["table"] == "tags"]
    assert sorted(c["after"]["name"] for c in rows) == ["x", "y"]
    assert all(c["before"] is None for c in rows)
    article = next(c for c in changes(created) if c["table"] == "articles")
    assert article["after"]["title"] == "T" and article["key"] == {"id": article["after"]["id"]}
    assert effects(created)["rows"]["users"]  # the author was loaded: shadow reads it back


def test_a_dry_run_reports_updates_and_deletes_with_before_images(app: Flask, api: Api) -> None:
    api.register("jake")
    api.register("anne")
    slug = api.call("POST", "/api/articles", "jake", json={"article": {
        "title": "T", "description": "d", "body": "b"}}).json["article"]["slug"]
    api.call("POST", "/api/profiles/anne/follow", "jake")
    marker = {dryrun.HEADER: dryrun.marker(app)}
    updated = api.call("PUT", f"/api/articles/{slug}", "jake", headers=marker,
                       json={"article": {"title": "New"}})
    (change,) = [c for c in changes(updated) if c["table"] == "articles"]
    assert change["op"] == "~"
    assert (change["before"]["title"], change["after"]["title"]) == ("T", "New")
    unfollowed = api.call("DELETE", "/api/profiles/anne/follow", "jake",
                          headers={dryrun.HEADER: dryrun.marker(app)})
    (change,) = changes(unfollowed)
    assert (change["table"], change["op"], change["after"]) == ("follows", "-", None)
    assert set(change["key"]) == {"follower_id", "followed_id"}


def test_a_write_never_committed_reports_no_change_but_names_its_rows(app: Flask,
                                                                      api: Api) -> None:
    """Flushed and not committed: the savepoint is rolled back, as it would be for real."""

    def flush_only(slug: str) -> dict[str, bool]:
        db.session.execute(sa.update(Article).where(Article.slug == slug).values(title="Lost"))
        return {"ok": True}

    app.add_url_rule("/api/test-flush-only/<slug>", view_func=flush_only, methods=["PUT"])

    api.register("jake")
    slug = api.call("POST", "/api/articles", "jake", json={"article": {
        "title": "T", "description": "d", "body": "b"}}).json["article"]["slug"]

    response = api.client.put(f"/api/test-flush-only/{slug}",
                              headers={dryrun.HEADER: dryrun.marker(app)})
    assert response.status_code == 200
    assert changes(response) == []
    assert effects(response)["rows"]["articles"]


def test_a_dry_run_delete_reports_the_rows_its_cascade_takes(app: Flask, api: Api) -> None:
    """The database deletes an article's comments without a statement of the request's; the
    control's delete takes them too, so the report must say so."""
    api.register("jake")
    slug = api.call("POST", "/api/articles", "jake", json={"article": {
        "title": "T", "description": "d", "body": "b", "tagList": ["x"]}}).json["article"]["slug"]
    api.call("POST", f"/api/articles/{slug}/comments", "jake", json={"comment": {"body": "hi"}})
    api.call("POST", f"/api/articles/{slug}/favorite", "jake")
    deleted = api.call("DELETE", f"/api/articles/{slug}", "jake",
                       headers={dryrun.HEADER: dryrun.marker(app)})
    assert deleted.status_code == 204
    assert {(c["table"], c["op"]) for c in changes(deleted)} == {
        ("articles", "-"), ("comments", "-"), ("favorites", "-"), ("article_tags", "-")}
