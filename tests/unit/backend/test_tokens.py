"""JWTs in legacy's format, checked in jsonwebtoken's order; bcrypt hashes both ways."""

from __future__ import annotations

import base64
import json
import random
import time

import bcrypt
import jwt
import pytest
from flask import Flask

from backend import tokens
from backend.auth import token_from
from backend.errors import Unauthorized
from backend.node_buffer import from_base64
from backend.passwords import check_password, hash_password
from tests.support import jwt_variants
from tests.support.node_oracle import ask_each
from tests.support.processes import TEST_JWT_SECRET


def payload_of(token: str) -> dict:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def sign(**claims: object) -> str:
    return jwt.encode(claims, TEST_JWT_SECRET, algorithm="HS256")


def test_issued_tokens_have_legacys_header_and_claims(app: Flask) -> None:
    with app.app_context():
        token = tokens.issue(42, "jake")
        assert token.split(".")[0] == "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        claims = payload_of(token)
        assert list(claims) == ["username", "iat", "exp", "sub"]
        assert claims["exp"] - claims["iat"] == 2592000
        assert claims["sub"] == "42"
        assert tokens.verify(token) == tokens.Claims(user_id=42, username="jake")
        padded = sign(username="jake", sub="00000000042", exp=int(time.time()) + 60)
        assert tokens.verify(padded).user_id == 42  # any run of digits, up to 2147483647


@pytest.mark.parametrize(
    "claims, reason",
    [
        ({"sub": "1", "exp": -10}, "has expired"),
        ({"sub": "1"}, "is invalid"),
        ({"sub": "1", "exp": "later"}, "is invalid"),
        ({"sub": 1, "exp": 10}, "is invalid"),
        ({"sub": "abc", "exp": 10}, "is invalid"),
        ({"sub": "2147483648", "exp": 10}, "is invalid"),
        ({"sub": "1", "exp": 10, "nbf": 1000}, "is invalid"),
        ({"sub": "1", "exp": 10, "nbf": "x"}, "is invalid"),
        ({"sub": "x", "exp": -10}, "has expired"),
    ],
)
def test_verification_follows_jsonwebtoken(app: Flask, claims: dict, reason: str) -> None:
    now = int(time.time())
    for name in ("exp", "nbf"):
        if isinstance(claims.get(name), int):
            claims[name] = now + claims[name]
    with app.app_context(), pytest.raises(tokens.InvalidToken) as error:
        tokens.verify(sign(**claims))
    assert error.value.reason == reason


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        jwt.encode({"sub": "1", "exp": int(time.time()) + 99}, "another-secret-long-enough-xxxxx",
                   algorithm="HS256"),
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxIiwiZXhwIjo5OTk5OTk5OTk5fQ.",
    ],
)
def test_foreign_and_unsigned_tokens_are_invalid(app: Flask, token: str) -> None:
    with app.app_context(), pytest.raises(tokens.InvalidToken) as error:
        tokens.verify(token)
    assert error.value.reason == "is invalid"


@pytest.mark.parametrize(
    "header, status, message",
    [
        ("", 401, "is malformed"),
        ("Token", 401, "is malformed"),
        ("Bearer x", 401, "is malformed"),
        ("Token a b", 401, "is malformed"),
        ("token junk", 401, "is invalid"),
    ],
)
def test_authorization_header_errors(client, header: str, status: int, message: str) -> None:
    response = client.get("/api/user", headers={"Authorization": header})
    assert response.status_code == status
    assert response.json == {"errors": {"token": [message]}}
    assert response.headers["WWW-Authenticate"] == "Token"
    optional = client.get("/api/articles", headers={"Authorization": header})
    assert optional.status_code == 401


def test_a_token_for_a_deleted_user_is_invalid(client, app: Flask) -> None:
    with app.app_context():
        token = tokens.issue(999, "ghost")
    response = client.get("/api/tags", headers={"Authorization": f"Token {token}"})
    assert response.status_code == 200  # tags do not look at authentication
    response = client.get("/api/user", headers={"Authorization": f"Token {token}"})
    assert response.json == {"errors": {"token": ["is invalid"]}}


def test_password_hashes_are_bcrypt_cost_10_and_read_2a_and_2b() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$2b$10$") and len(hashed) == 60
    assert check_password("correct horse", hashed)
    assert not check_password("wrong horse", hashed)
    legacy_style = bcrypt.hashpw(b"correct horse", bcrypt.gensalt(10, prefix=b"2a")).decode()
    assert legacy_style.startswith("$2a$10$")
    assert check_password("correct horse", legacy_style)
    assert not check_password("correct horse", "not a hash")
    long_password = "é" * 40  # 80 bytes: bcryptjs (and this side) use the first 72
    assert check_password(long_password, bcrypt.hashpw(long_password.encode()[:72],
                                                       bcrypt.gensalt(4)).decode())


@pytest.fixture(scope="module")
def legacy_verdicts() -> dict[str, object]:
    """Legacy's requireAuth on every variant, at a clock a minute ahead of the tokens'."""
    now = int(time.time())
    named = jwt_variants.variants(TEST_JWT_SECRET, 42, now)
    headers = {name: f"Token {value}" for name, value in named.items()}
    answers = ask_each("authenticate", [[header, TEST_JWT_SECRET] for header in headers.values()])
    return {name: (headers[name], answer) for name, answer in zip(headers, answers, strict=True)}


def test_token_variants_are_accepted_exactly_as_jsonwebtoken_does(
    app: Flask, legacy_verdicts: dict[str, object]
) -> None:
    different = {}
    with app.app_context():
        for name, (header, legacy) in legacy_verdicts.items():
            try:
                ours: dict[str, object] = {"userId": tokens.verify(token_from(header)).user_id}
            except tokens.InvalidToken as error:
                ours = {"message": error.reason}
            except Unauthorized as error:
                ours = {"message": error.errors["token"]}
            if ours != legacy:
                different[name] = (legacy, ours)
    assert not different, f"legacy vs backend: {different}"
    assert legacy_verdicts["issued"][1] == {"userId": 42}
    assert legacy_verdicts["padded signature"][1] == {"message": "is invalid"}
    assert legacy_verdicts["non-string kid"][1] == {"userId": 42}


def _random_samples(seed: int, alphabet: bytes, count: int, longest: int) -> list[bytes]:
    generator = random.Random(seed)
    return [bytes(generator.choice(alphabet) for _ in range(generator.randrange(longest)))
            for _ in range(count)]


def test_payload_bytes_decode_as_nodes_buffer_to_string() -> None:
    # Bytes dense in lead and continuation bytes, surrogate and overlong forms.
    alphabet = bytes([0x41, 0x22, 0x80, 0x8F, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xED,
                      0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0xBB])
    samples = _random_samples(7, alphabet, 3000, 9)
    assert [sample.decode("utf-8", "replace") for sample in samples] == ask_each("utf8", samples)


def test_base64_decodes_as_nodes_buffer() -> None:
    alphabet = b"AQgw_-/+Zz09"
    texts = [sample.decode() for sample in _random_samples(11, alphabet, 2000, 11)]
    assert [list(from_base64(text)) for text in texts] == ask_each("base64", texts)
