"""Registration, login, the current user and its updates, on both sides."""

from __future__ import annotations

import pytest

from tests.comparative.scenario import Scenario, Step

LONG = "x" * 65


def test_register_and_login_flow(scenario: Scenario) -> None:
    s = scenario
    alice = s.username("alice")
    s.run(
        Step("POST", "/api/users", {"user": {"username": alice, "email": s.email("Alice").upper(),
                                             "password": "password123"}},
             capture={"token:alice": "user.token"}),
        Step("POST", "/api/users/login",
             {"user": {"email": s.email("alice").upper(), "password": "password123"}}),
        Step("POST", "/api/users/login", {"user": {"email": s.email("alice"), "password": "nope"}}),
        Step("POST", "/api/users/login",
             {"user": {"email": "nobody@example.com", "password": "password123"}}),
        Step("POST", "/api/users/login", {"user": {"email": "a\u0000@b.c", "password": "x"}}),
        Step("GET", "/api/user", user="alice"),
        Step("GET", "/api/user"),
    )


@pytest.mark.parametrize(
    "user",
    [
        {},
        {"username": "", "email": " ", "password": "\t"},
        {"username": None, "email": None, "password": None},
        {"username": 1, "email": True, "password": ["x"]},
        {"username": LONG, "email": "a" * 250 + "@b.cd", "password": "short"},
        {"username": "bad name", "email": "no-at-sign", "password": "é" * 37},
        {"username": "nul\u0000", "email": "a\u0000@b.c", "password": "pass\u0000word"},
        {"username": "ok", "email": "a@b", "password": "\ufeff\u00a0   \u3000"},
        {"username": "Ünï", "email": "a b@c.d", "password": "x" * 73},
        {"username": "lone\ud800", "email": "x@y.z\n", "password": "password\ud800"},
    ],
)
def test_register_validation(scenario: Scenario, user: dict) -> None:
    scenario.run(Step("POST", "/api/users", {"user": user}))


@pytest.mark.parametrize(
    "body", [{}, {"user": None}, {"user": []}, {"user": "x"}, [], {"User": {}}, {"user": 3}]
)
def test_register_needs_a_user_object(scenario: Scenario, body: object) -> None:
    scenario.run(Step("POST", "/api/users", body))


def test_uniqueness(scenario: Scenario) -> None:
    s = scenario
    s.register("alice")
    s.run(
        Step("POST", "/api/users", {"user": {"username": s.username("alice"),
                                             "email": s.email("alice").upper(),
                                             "password": "password123"}}),
        Step("POST", "/api/users", {"user": {"username": s.username("alice"),
                                             "email": "other@example.com",
                                             "password": "password123"}}),
        Step("POST", "/api/users", {"user": {"username": s.username("alice"),
                                             "email": s.email("alice"), "password": "short"}}),
        Step("POST", "/api/users", {"user": {"username": s.username("alice").upper(),
                                             "email": "new." + s.email("alice"),
                                             "password": "password123"}}),
    )


@pytest.mark.parametrize(
    "user",
    [
        {},
        {"unknown": 1},
        {"email": None, "username": None, "password": None, "bio": 5, "image": 6},
        {"email": "bad", "username": "bad name", "password": "short", "bio": "a\u0000",
         "image": "i" * 2049},
        {"bio": None, "image": None},
        {"bio": "", "image": ""},
        {"bio": "I work at statefarm 🚗", "image": "https://example.com/ünï.png"},
        {"username": "renamed", "email": "RENAMED@Example.com"},
    ],
)
def test_update_user(scenario: Scenario, user: dict) -> None:
    s = scenario
    s.register("alice")
    if "username" in user and user["username"] == "renamed":
        user = {**user, "username": s.username("renamed"), "email": s.email("RENAMED")}
    s.run(
        Step("PUT", "/api/user", {"user": user}, user="alice"),
        Step("GET", "/api/user", user="alice"),
    )


def test_update_user_uniqueness_and_password(scenario: Scenario) -> None:
    s = scenario
    s.register("alice")
    s.register("bob")
    s.run(
        Step("PUT", "/api/user", {"user": {"email": s.email("bob"), "username": s.username("bob")}},
             user="alice"),
        Step("PUT", "/api/user", {"user": {"email": s.email("alice"),
                                           "username": s.username("alice")}}, user="alice"),
        Step("PUT", "/api/user", {"user": {"password": "new-password"}}, user="alice"),
        Step("POST", "/api/users/login",
             {"user": {"email": s.email("alice"), "password": "password123"}}),
        Step("POST", "/api/users/login",
             {"user": {"email": s.email("alice"), "password": "new-password"}}),
        Step("GET", "/api/user", user="alice"),
        Step("PUT", "/api/user", {"user": "nope"}, user="alice"),
        Step("PUT", "/api/user", {"user": {"bio": "x"}}),
    )


@pytest.mark.parametrize(
    "user",
    [{}, {"email": "", "password": ""}, {"email": 1, "password": None}, {"email": " "}],
)
def test_login_validation(scenario: Scenario, user: dict) -> None:
    scenario.run(Step("POST", "/api/users/login", {"user": user}),
                 Step("POST", "/api/users/login", {"users": user}))
