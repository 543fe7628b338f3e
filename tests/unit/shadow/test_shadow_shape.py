"""Ignore keeps shape: a rule forgives a value, not its absence, JSON type or format (issue 12)."""

from __future__ import annotations

import json

import jwt
import pytest

from shadow.compare import compare
from shadow.observation import Kind, Observation
from shadow.redact import REDACTED, redact_difference
from shadow.rules import RuleError, Rules
from shadow.shape import TIME_TOLERANCE

JSON = {"Content-Type": "application/json; charset=utf-8"}
TOKEN_RULE = Rules.from_settings({"ignore": ["body.user.token"]}, None)
NOW = 1_764_650_000


def token(
    secret: str = "legacy-secret-of-at-least-32-bytes", *, headers: dict | None = None, **claims
) -> str:
    payload = {"username": "jake", "sub": "jake", "iat": NOW, "exp": NOW + 86400} | claims
    return jwt.encode(payload, secret, algorithm="HS256", headers=headers)


def login(user_token: object, **more) -> Observation:
    user = {"email": "jake@jake.jake", "username": "jake", **more}
    if user_token is not ...:
        user["token"] = user_token
    return Observation(200, JSON, json.dumps({"user": user}).encode())


def test_a_token_signed_apart_seconds_later_is_forgiven() -> None:
    later = token("flask-secret-of-at-least-32-bytes!!", iat=NOW + 2, exp=NOW + 2 + 86400)
    assert compare(login(token()), login(later), TOKEN_RULE).matched


@pytest.mark.parametrize(
    ("candidate", "kind"),
    [
        (None, Kind.TYPE_CHANGED),
        (..., Kind.MISSING_IN_CANDIDATE),
        ("", Kind.CHANGED),
        ("not-a-token", Kind.CHANGED),
        (12345, Kind.TYPE_CHANGED),
        (token(sub=7), Kind.CHANGED),
        (token(id=7), Kind.CHANGED),
        (token(username=None), Kind.CHANGED),
        (token(headers={"kid": "k1"}), Kind.CHANGED),
        (token(exp=NOW + 3600), Kind.CHANGED),
        (token(iat=NOW + int(TIME_TOLERANCE) + 1), Kind.CHANGED),
    ],
    ids=["null token", "no token", "empty token", "not a JWT", "number", "sub type changed",
         "extra claim", "claim type", "header", "lifetime", "iat out of tolerance"],
)  # fmt: skip
def test_a_forgiven_token_must_keep_its_shape(candidate, kind) -> None:
    result = compare(login(token()), login(candidate), TOKEN_RULE)
    assert [(d.path, d.kind) for d in result.differences] == [("body.user.token", kind)]


def test_a_changed_sub_claim_type_is_shown() -> None:
    result = compare(login(token()), login(token(sub=7)), TOKEN_RULE)
    assert "sub:string" in result.differences[0].control
    assert "sub:number" in result.differences[0].candidate
    assert "eyJ" not in result.differences[0].control + result.differences[0].candidate


STAMP = "2026-11-26T04:00:00.000Z"
STAMP_RULE = Rules().extended(ignore=["body.article.createdAt"])


def article(created: object) -> Observation:
    return Observation(200, JSON, json.dumps({"article": {"createdAt": created}}).encode())


def test_a_forgiven_timestamp_may_be_another_instant() -> None:
    assert compare(article(STAMP), article("2026-11-27T17:31:09.412Z"), STAMP_RULE).matched


@pytest.mark.parametrize(
    "other",
    ["2026-11-26T04:00:00Z", "2026-11-26T04:00:00.000000Z", "2026-11-26T04:00:00.000+00:00",
     "2026-11-26 04:00:00.000", "Thu, 26 Nov 2026 04:00:00 GMT", 1764129600000, None],
)  # fmt: skip
def test_a_forgiven_timestamp_must_keep_its_format(other) -> None:
    result = compare(article(STAMP), article(other), STAMP_RULE)
    assert result.paths == ["body.article.createdAt"]


@pytest.mark.parametrize(
    ("control", "candidate", "equal"),
    [
        ("abc", "xyz", True),
        (1, 2.5, True),
        (True, False, True),
        ({"a": 1, "b": "x"}, {"a": 2, "b": "y"}, True),
        ([1, 2], [3, 4], True),
        ("abc", 1, False),
        ("abc", "", False),
        (1, "1", False),
        (True, 1, False),
        ({"a": 1}, {"a": 1, "b": 2}, False),
        ([1, 2], [1], False),
        (None, "x", False),
    ],
)
def test_a_forgiven_value_keeps_its_json_type(control, candidate, equal) -> None:
    rules = Rules().extended(ignore=["body.v"])
    result = compare(
        Observation(200, JSON, json.dumps({"v": control}).encode()),
        Observation(200, JSON, json.dumps({"v": candidate}).encode()),
        rules,
    )
    assert result.matched is equal, result.differences


def test_any_forgives_anything_even_absence() -> None:
    rules = Rules.from_settings({"ignore": ["any:body.user.token"]}, None)
    assert rules.ignore == () and [str(p) for p in rules.ignore_any] == ["body.user.token"]
    for candidate in (None, ..., 12345, "x"):
        assert compare(login(token()), login(candidate), rules).matched


def test_a_bad_path_after_any_is_refused() -> None:
    with pytest.raises(RuleError, match="user.token"):
        Rules.from_settings(None, {"ignore": ["any:user.token"]})
    with pytest.raises(RuleError):
        Rules.from_settings(None, {"unordered": ["any:body.tags"]})


def test_the_stored_difference_of_a_forgiven_token_shows_its_shape_not_a_secret() -> None:
    for candidate in (None, token(sub=7)):
        result = compare(login(token()), login(candidate), TOKEN_RULE)
        [stored] = [redact_difference(d) for d in result.differences]
        assert stored.control.startswith("<jwt ") and "sub:string" in stored.control
        assert REDACTED not in (stored.control, stored.candidate)
        assert "eyJ" not in stored.control + stored.candidate
    plain = compare(login(token()), login(token(sub=7)))  # no rule: the token itself
    [stored] = [redact_difference(d) for d in plain.differences]
    assert (stored.control, stored.candidate) == (REDACTED, REDACTED)
