"""Authentication: every 401 of the contract, on required and optional routes."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.integration.legacy.conduit import Conduit, User, make_token

pytestmark = [pytest.mark.legacy, pytest.mark.postgres]


def errors_of(response) -> dict:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Token"
    return response.json()["errors"]


def test_missing_header_on_a_required_route(conduit: Conduit) -> None:
    assert errors_of(conduit.get("/user")) == {"token": ["is missing"]}


@pytest.mark.parametrize(
    "header",
    ["Bearer abc", "Token", "Tokenabc", "Token a b", "Token  abc", "abc", "Basic dXNlcjpwYXNz"],
)
def test_malformed_header(conduit: Conduit, header: str) -> None:
    response = conduit.get("/user", headers={"Authorization": header})
    assert errors_of(response) == {"token": ["is malformed"]}


def test_the_scheme_is_case_insensitive(conduit: Conduit, alice: User) -> None:
    response = conduit.get("/user", headers={"Authorization": f"tOKEN {alice.token}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "case",
    ["not a jwt", "wrong secret", "alg none", "no exp", "sub not decimal", "sub missing",
     "unknown user", "tampered payload"],
)
def test_invalid_tokens(conduit: Conduit, alice: User, case: str) -> None:
    token = {
        "not a jwt": lambda: "abc.def.ghi",
        "wrong secret": lambda: make_token(alice.id, secret="another-secret-of-enough-length-123"),
        "alg none": lambda: jwt.encode(
            {"username": alice.username, "exp": int(time.time()) + 60, "sub": str(alice.id)},
            None, algorithm="none"),
        "no exp": lambda: make_token(alice.id, exp=None),
        "sub not decimal": lambda: make_token(f"{alice.id}.0"),
        "sub missing": lambda: make_token(alice.id, sub=None),
        "unknown user": lambda: make_token(2147483000),
        "tampered payload": lambda: _swap_payload(alice.token, make_token(alice.id + 1)),
    }[case]()
    response = conduit.get("/user", headers={"Authorization": f"Token {token}"})
    assert errors_of(response) == {"token": ["is invalid"]}


def _swap_payload(signed: str, other: str) -> str:
    header, _, signature = signed.split(".")
    return ".".join([header, other.split(".")[1], signature])


def test_expired_token(conduit: Conduit, alice: User) -> None:
    now = int(time.time())
    token = make_token(alice.id, iat=now - 7200, exp=now - 3600)
    response = conduit.get("/user", headers={"Authorization": f"Token {token}"})
    assert errors_of(response) == {"token": ["has expired"]}


def test_a_token_built_like_legacys_is_accepted(conduit: Conduit, alice: User) -> None:
    token = make_token(alice.id, username=alice.username)
    response = conduit.get("/user", headers={"Authorization": f"Token {token}"})
    assert response.status_code == 200
    assert response.json()["user"]["token"] == token


def test_issued_tokens_carry_the_contract_claims(alice: User) -> None:
    claims = jwt.decode(alice.token, options={"verify_signature": False})
    assert list(claims) == ["username", "iat", "exp", "sub"]
    assert claims["sub"] == str(alice.id)
    assert claims["exp"] - claims["iat"] == 2592000


@pytest.mark.parametrize("path", ["/articles", "/profiles/nobody", "/articles/no-such-slug"])
def test_a_bad_header_on_an_optional_route_is_still_401(conduit: Conduit, path: str) -> None:
    assert errors_of(conduit.get(path, headers={"Authorization": "Token nope"})) == {
        "token": ["is invalid"]
    }
    assert errors_of(conduit.get(path, headers={"Authorization": "Nope"})) == {
        "token": ["is malformed"]
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/user"), ("PUT", "/user"), ("GET", "/articles/feed"), ("POST", "/articles"),
        ("PUT", "/articles/x"), ("DELETE", "/articles/x"), ("POST", "/articles/x/favorite"),
        ("DELETE", "/articles/x/favorite"), ("POST", "/articles/x/comments"),
        ("DELETE", "/articles/x/comments/1"), ("POST", "/profiles/x/follow"),
        ("DELETE", "/profiles/x/follow"),
    ],
)
def test_authentication_comes_before_404_and_validation(
    conduit: Conduit, method: str, path: str
) -> None:
    response = conduit.request(method, path, json={"nonsense": True})
    assert errors_of(response) == {"token": ["is missing"]}


def test_tags_do_not_look_at_authentication(conduit: Conduit) -> None:
    response = conduit.get("/tags", headers={"Authorization": "garbage"})
    assert response.status_code == 200
