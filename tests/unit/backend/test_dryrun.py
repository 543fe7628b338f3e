"""Dry-run requests run fully, answer normally, and leave nothing behind."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from itsdangerous import TimestampSigner

from backend import dryrun, signals
from backend.database import db
from backend.models import User
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
