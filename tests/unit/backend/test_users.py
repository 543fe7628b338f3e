"""Registration, login and the current user (services.users through the API)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.database import db
from backend.models import User
from tests.support.api import Api


def test_register_stores_a_lower_cased_email_and_a_bcrypt_hash(api: Api, app) -> None:
    response = api.client.post(
        "/api/users",
        json={"user": {"username": "Jake", "email": "Jake@Example.COM", "password": "jakejake"}},
    )
    assert response.status_code == 201
    assert list(response.json["user"]) == ["email", "token", "username", "bio", "image"]
    assert response.json["user"]["email"] == "jake@example.com"
    assert response.json["user"]["bio"] is None
    with app.app_context():
        user = db.session.query(User).one()
        assert user.password_hash.startswith("$2b$10$")


@pytest.mark.parametrize(
    "user, errors",
    [
        ({}, {"username": ["can't be blank"], "email": ["can't be blank"],
              "password": ["can't be blank"]}),
        ({"username": 5, "email": "x@y.z", "password": "password1"},
         {"username": ["must be a string"]}),
        ({"username": "a b", "email": "nope", "password": "short"},
         {"username": ["is invalid"], "email": ["is invalid"],
          "password": ["is too short (minimum is 8 characters)"]}),
        ({"username": "u" * 65, "email": "x@y.z", "password": "é" * 37},
         {"username": ["is too long (maximum is 64 characters)"],
          "password": ["is too long (maximum is 72 bytes)"]}),
        ({"username": "a\u0000", "email": "x@y.z", "password": "password1"},
         {"username": ["contains invalid characters"]}),
        ({"username": "ok", "email": "x@y.z\n", "password": "\ufeff" * 8},
         {"email": ["is invalid"], "password": ["can't be blank"]}),
    ],
)
def test_register_validation(api: Api, user: dict, errors: dict) -> None:
    response = api.client.post("/api/users", json={"user": user})
    assert response.status_code == 422
    assert response.json == {"errors": errors}
    assert list(response.json["errors"]) == list(errors)


@pytest.mark.parametrize("body", [{}, {"user": None}, {"user": []}, {"user": "x"}, []])
def test_register_needs_a_user_object(api: Api, body: object) -> None:
    response = api.client.post("/api/users", json=body)
    assert response.status_code == 422
    assert response.json == {"errors": {"user": ["must be an object"]}}


def test_taken_username_and_email_are_reported_together(api: Api) -> None:
    api.register("jake")
    response = api.client.post(
        "/api/users",
        json={"user": {"username": "jake", "email": "JAKE@example.com", "password": "password1"}},
    )
    assert response.status_code == 422
    assert response.json == {
        "errors": {"username": ["has already been taken"], "email": ["has already been taken"]}
    }
    other_case = api.client.post(
        "/api/users",
        json={"user": {"username": "JAKE", "email": "j2@example.com", "password": "password1"}},
    )
    assert other_case.status_code == 201


def test_login(api: Api) -> None:
    api.register("jake")
    ok = api.client.post(
        "/api/users/login",
        json={"user": {"email": "JAKE@example.com", "password": "password123"}},
    )
    assert ok.status_code == 200
    assert ok.json["user"]["username"] == "jake"
    for user in ({"email": "jake@example.com", "password": "wrong-password"},
                 {"email": "nobody@example.com", "password": "password123"},
                 {"email": "a\u0000b", "password": "password123"}):
        bad = api.client.post("/api/users/login", json={"user": user})
        assert bad.status_code == 401
        assert bad.json == {"errors": {"email or password": ["is invalid"]}}
        assert bad.headers["WWW-Authenticate"] == "Token"


def test_login_validation(api: Api) -> None:
    response = api.client.post("/api/users/login", json={"user": {"email": 3, "password": " "}})
    assert response.status_code == 422
    assert response.json == {"errors": {"email": ["must be a string"],
                                        "password": ["can't be blank"]}}
    missing = api.client.post("/api/users/login", json={"usr": {}})
    assert missing.json == {"errors": {"user": ["must be an object"]}}


def test_current_user_echoes_the_presented_token(api: Api) -> None:
    api.register("jake")
    response = api.call("GET", "/api/user", "jake")
    assert response.status_code == 200
    assert response.json["user"]["token"] == api.tokens["jake"]
    assert api.call("GET", "/api/user").json == {"errors": {"token": ["is missing"]}}


def test_update_user(api: Api) -> None:
    api.register("jake")
    api.register("bob")
    response = api.call(
        "PUT", "/api/user", "jake",
        json={"user": {"email": "NEW@example.com", "bio": "hi", "image": None, "x": 1}},
    )
    assert response.status_code == 200
    assert response.json["user"]["email"] == "new@example.com"
    assert response.json["user"]["bio"] == "hi"
    assert response.json["user"]["token"] == api.tokens["jake"]
    taken = api.call("PUT", "/api/user", "jake",
                     json={"user": {"email": "bob@example.com", "username": "bob"}})
    assert taken.json == {"errors": {"email": ["has already been taken"],
                                     "username": ["has already been taken"]}}
    assert list(taken.json["errors"]) == ["email", "username"]  # updates report email first
    own = api.call("PUT", "/api/user", "jake", json={"user": {"username": "jake"}})
    assert own.status_code == 200
    password = api.call("PUT", "/api/user", "jake", json={"user": {"password": "changed-pw"}})
    assert password.status_code == 200
    login = api.client.post("/api/users/login",
                            json={"user": {"email": "new@example.com", "password": "changed-pw"}})
    assert login.status_code == 200
    renamed = api.call("PUT", "/api/user", "jake", json={"user": {"username": "jacob"}})
    assert renamed.json["user"]["username"] == "jacob"


@pytest.mark.parametrize(
    "user, errors",
    [
        ({}, {"user": ["must contain at least one of: email, username, password, bio, image"]}),
        ({"bio": 1, "image": "i" * 2049, "email": None, "username": "x y"},
         {"email": ["can't be blank"], "username": ["is invalid"], "bio": ["must be a string"],
          "image": ["is too long (maximum is 2048 characters)"]}),
        ({"image": "\u0000"}, {"image": ["contains invalid characters"]}),
    ],
)
def test_update_user_validation(api: Api, user: dict, errors: dict) -> None:
    api.register("jake")
    response = api.call("PUT", "/api/user", "jake", json={"user": user})
    assert response.status_code == 422
    assert response.json == {"errors": errors}
    assert list(response.json["errors"]) == list(errors)
    not_object = api.call("PUT", "/api/user", "jake", json={"user": None})
    assert not_object.json == {"errors": {"user": ["must be an object"]}}


def test_registration_reads_the_clock_once(api: Api, app, monkeypatch) -> None:
    """created_at and updated_at are one instant even when the clock moves between reads."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    reads = iter(range(1000))

    class SteppingClock(datetime):
        @classmethod
        def now(cls, tz=None):  # each read is a millisecond after the previous one
            return start + timedelta(milliseconds=next(reads))

    monkeypatch.setattr("dbtypes.datetime", SteppingClock)
    api.register("clocked")
    with app.app_context():
        user = db.session.query(User).one()
        assert user.created_at == user.updated_at
