"""Registration, login and the current user: every validation rule of the contract."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.integration.legacy.conduit import Conduit, User, unique_name

pytestmark = [pytest.mark.legacy, pytest.mark.postgres]

BLANK = "can't be blank"
NOT_STRING = "must be a string"


def valid_user(**overrides: Any) -> dict[str, Any]:
    name = unique_name()
    user = {"username": name, "email": f"{name}@example.com", "password": "password123"}
    user.update(overrides)
    return {key: value for key, value in user.items() if value is not ...}


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"username": ...}, {"username": [BLANK]}),
        ({"username": None}, {"username": [BLANK]}),
        ({"username": " \t\ufeff"}, {"username": [BLANK]}),
        ({"username": 42}, {"username": [NOT_STRING]}),
        ({"username": "a" * 65}, {"username": ["is too long (maximum is 64 characters)"]}),
        ({"username": "a\u0000b"}, {"username": ["contains invalid characters"]}),
        ({"username": "has space"}, {"username": ["is invalid"]}),
        ({"username": "bob\n"}, {"username": ["is invalid"]}),
        ({"username": "üser"}, {"username": ["is invalid"]}),
        ({"email": ...}, {"email": [BLANK]}),
        ({"email": ["a@b.c"]}, {"email": [NOT_STRING]}),
        ({"email": "x" * 250 + "@b.co"}, {"email": ["is too long (maximum is 254 characters)"]}),
        ({"email": "a\u0000@b.c"}, {"email": ["contains invalid characters"]}),
        ({"email": "no-at-sign"}, {"email": ["is invalid"]}),
        ({"email": "a@b"}, {"email": ["is invalid"]}),
        ({"email": "a b@c.d"}, {"email": ["is invalid"]}),
        ({"email": "a@b.c\n"}, {"email": ["is invalid"]}),
        ({"password": ...}, {"password": [BLANK]}),
        ({"password": "        "}, {"password": [BLANK]}),
        ({"password": 12345678}, {"password": [NOT_STRING]}),
        ({"password": "short"}, {"password": ["is too short (minimum is 8 characters)"]}),
        ({"password": "é" * 37}, {"password": ["is too long (maximum is 72 bytes)"]}),
        ({"password": "pass\u0000word"}, {"password": ["contains invalid characters"]}),
        (
            {"username": None, "email": "bad", "password": "short"},
            {
                "username": [BLANK],
                "email": ["is invalid"],
                "password": ["is too short (minimum is 8 characters)"],
            },
        ),
    ],
)
def test_register_rejects_invalid_fields(
    conduit: Conduit, overrides: dict[str, Any], errors: dict
) -> None:
    response = conduit.post("/users", json={"user": valid_user(**overrides)})
    assert response.status_code == 422
    assert response.json() == {"errors": errors}
    assert list(response.json()["errors"]) == list(errors)


@pytest.mark.parametrize(
    "body", [{}, {"user": None}, {"user": []}, {"user": "x"}, [], {"User": {}}]
)
def test_register_needs_a_user_object(conduit: Conduit, body: Any) -> None:
    response = conduit.post("/users", json=body)
    assert response.status_code == 422
    assert response.json() == {"errors": {"user": ["must be an object"]}}


def test_register_answers_201_with_a_token_and_lower_cased_email(conduit: Conduit) -> None:
    body = valid_user(email="MiXeD.Case@Example.COM", unknown="ignored")
    response = conduit.post("/users", json={"user": body})
    assert response.status_code == 201
    user = response.json()["user"]
    assert list(user) == ["email", "token", "username", "bio", "image"]
    assert user["email"] == "mixed.case@example.com"
    assert (user["username"], user["bio"], user["image"]) == (body["username"], None, None)


def test_register_reports_username_and_email_taken_together(conduit: Conduit, alice: User) -> None:
    response = conduit.post(
        "/users",
        json={"user": {"username": alice.username, "email": alice.email.upper(),
                       "password": "password123"}},
    )
    assert response.status_code == 422
    assert response.json() == {
        "errors": {"username": ["has already been taken"], "email": ["has already been taken"]}
    }


def test_uniqueness_is_checked_only_when_every_field_is_well_formed(
    conduit: Conduit, alice: User
) -> None:
    response = conduit.post(
        "/users", json={"user": {"username": alice.username, "email": "bad", "password": "x"}}
    )
    assert response.json() == {
        "errors": {"email": ["is invalid"], "password": ["is too short (minimum is 8 characters)"]}
    }


def test_usernames_are_case_sensitive(conduit: Conduit, alice: User) -> None:
    response = conduit.post("/users", json={"user": valid_user(username=alice.username.upper())})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("user", "errors"),
    [
        ({}, {"email": [BLANK], "password": [BLANK]}),
        ({"email": 1, "password": None}, {"email": [NOT_STRING], "password": [BLANK]}),
        ({"email": "a@b.c", "password": ["x"]}, {"password": [NOT_STRING]}),
    ],
)
def test_login_validation(conduit: Conduit, user: dict, errors: dict) -> None:
    response = conduit.post("/users/login", json={"user": user})
    assert response.status_code == 422
    assert response.json() == {"errors": errors}


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "nul in email"])
def test_login_with_bad_credentials_is_401(conduit: Conduit, alice: User, case: str) -> None:
    credentials = {
        "wrong password": {"email": alice.email, "password": "not the password"},
        "unknown email": {"email": "nobody@example.com", "password": alice.password},
        "nul in email": {"email": "a\u0000@example.com", "password": alice.password},
    }[case]
    response = conduit.post("/users/login", json={"user": credentials})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert response.json() == {"errors": {"email or password": ["is invalid"]}}


def test_login_compares_lower_cased_emails(conduit: Conduit, alice: User) -> None:
    response = conduit.post(
        "/users/login", json={"user": {"email": alice.email.upper(), "password": alice.password}}
    )
    assert response.status_code == 200
    assert response.json()["user"]["username"] == alice.username


def test_current_user_echoes_the_presented_token(conduit: Conduit, alice: User) -> None:
    response = conduit.get("/user", alice)
    assert response.status_code == 200
    assert response.json() == {
        "user": {"email": alice.email, "token": alice.token, "username": alice.username,
                 "bio": None, "image": None}
    }


@pytest.mark.parametrize(
    ("user", "errors"),
    [
        ({}, {"user": ["must contain at least one of: email, username, password, bio, image"]}),
        ({"following": True}, {"user": [
            "must contain at least one of: email, username, password, bio, image"]}),
        ({"email": None}, {"email": [BLANK]}),
        ({"username": "bad name"}, {"username": ["is invalid"]}),
        ({"password": None}, {"password": [BLANK]}),
        ({"bio": 5}, {"bio": [NOT_STRING]}),
        ({"bio": "a\u0000"}, {"bio": ["contains invalid characters"]}),
        ({"image": "x" * 2049}, {"image": ["is too long (maximum is 2048 characters)"]}),
        ({"image": False}, {"image": [NOT_STRING]}),
        (
            {"image": 1, "bio": 2, "password": 3, "username": 4, "email": 5},
            {name: [NOT_STRING] for name in ["email", "username", "password", "bio", "image"]},
        ),
    ],
)
def test_update_user_validation(conduit: Conduit, alice: User, user: dict, errors: dict) -> None:
    response = conduit.put("/user", alice, json={"user": user})
    assert response.status_code == 422
    assert response.json() == {"errors": errors}
    assert list(response.json()["errors"]) == list(errors)


def test_update_user_rejects_another_users_email(
    conduit: Conduit, alice: User, bob: User
) -> None:
    response = conduit.put("/user", alice, json={"user": {"email": bob.email.upper()}})
    assert response.status_code == 422
    assert response.json() == {"errors": {"email": ["has already been taken"]}}


def test_update_user_changes_fields_and_keeps_the_token(conduit: Conduit, alice: User) -> None:
    response = conduit.put(
        "/user", alice,
        json={"user": {"bio": "Hello", "image": "https://x/y.png", "email": alice.email,
                       "password": "a new password"}},
    )
    assert response.status_code == 200
    assert response.json()["user"] == {
        "email": alice.email, "token": alice.token, "username": alice.username,
        "bio": "Hello", "image": "https://x/y.png",
    }
    cleared = conduit.put("/user", alice, json={"user": {"bio": None}}).json()["user"]
    assert cleared["bio"] is None
    old = conduit.post("/users/login", json={"user": {"email": alice.email,
                                                     "password": alice.password}})
    assert old.status_code == 401
    new = conduit.post("/users/login", json={"user": {"email": alice.email,
                                                     "password": "a new password"}})
    assert new.status_code == 200
    assert conduit.get("/user", alice).status_code == 200  # tokens survive password changes


def test_concurrent_registrations_of_one_username(conduit: Conduit) -> None:
    name = unique_name("race")

    def register(n: int) -> tuple[int, dict]:
        user = {"username": name, "email": f"{name}.{n}@example.com", "password": "password123"}
        response = conduit.post("/users", json={"user": user})
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(register, range(5)))
    assert sorted(status for status, _ in results) == [201, 422, 422, 422, 422]
    taken = {"errors": {"username": ["has already been taken"]}}
    assert all(body == taken for status, body in results if status == 422)


def test_update_reports_taken_email_before_taken_username(
    conduit: Conduit, alice: User, bob: User
) -> None:
    response = conduit.put("/user", alice,
                           json={"user": {"username": bob.username, "email": bob.email}})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["email", "username"]
    own = conduit.put("/user", alice,
                      json={"user": {"username": alice.username, "email": alice.email}})
    assert own.status_code == 200
