"""Hostile and odd input, from legacy's own tests: both sides answer it the same way."""

from __future__ import annotations

import pytest

from tests.comparative.scenario import Scenario, Step

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    "raw",
    [b'{"user": }', b"{'user': {}}", b"42", b"\xff\xfe", b'{"user": {}} trailing', b"   ",
     b"[" * 40000 + b"]" * 40000, b'{"user":' * 10000 + b"1" + b"}" * 10000,
     b'{"user":{"username":' + b"[" * 5000 + b"]" * 5000 + b"}}",
     b'{"user":{"username":1e400,"email":-0,"password":12345678901234567890123}}',
     b'{"user":{"username":"\\u0000","email":"\\ud83d\\ude00@x.io","password":"\\ud83d"}}'],
)
@pytest.mark.parametrize("method, path", [("POST", "/api/users"), ("PUT", "/api/user"),
                                          ("POST", "/api/articles/any/comments")])
def test_malformed_and_odd_json(scenario: Scenario, raw: bytes, method: str, path: str) -> None:
    scenario.run(Step(method, path, raw=raw, headers=JSON))


def test_bodies_near_the_limit_and_long_values(scenario: Scenario) -> None:
    s = scenario
    s.register("writer")
    emoji = "\U0001f600"
    s.run(
        Step("POST", "/api/articles", {"article": {"title": f"Big {s.suffix}", "description": "d",
                                                   "body": "x" * 100_000}}, user="writer"),
        Step("POST", "/api/articles", {"article": {"title": "t", "description": "d",
                                                   "body": "x" * 102_400}}, user="writer"),
        Step("POST", "/api/articles", {"article": {"title": emoji * 256, "description": "d",
                                                   "body": "b"}}, user="writer"),
        Step("POST", "/api/articles", {"article": {"title": emoji * 255,
                                                   "description": emoji * 1025, "body": "b"}},
             user="writer"),
        Step("POST", "/api/articles", {"article": {"title": "\u2177" * 255, "description": "d",
                                                   "body": "b"}}, user="writer"),
        Step("POST", "/api/articles", {"article": {"title": "\u2177" * 255, "description": "d",
                                                   "body": "b"}}, user="writer"),
        Step("GET", "/api/articles/" + "x" * 3000),
        Step("GET", "/api/profiles/" + "x" * 3000),
        Step("GET", "/api/articles?tag={0}&author={0}&favorited={0}".format("x" * 1000)),
    )


@pytest.mark.parametrize(
    "method, path",
    [("GET", "/api/articles/%00"), ("GET", "/api/profiles/%00"), ("GET", "/api/articles?tag=%00"),
     ("GET", "/api/articles?limit=1%00"),
     ("GET", "/api/articles?offset=99999999999999999999999999999999"),
     ("DELETE", "/api/articles/x/comments/99999999999999999999999999999999"),
     ("GET", "/api/profiles/%E0%A4%A"), ("GET", "/api/articles/%ED%A0%80"),
     ("GET", "/api/articles?tag=%FF%FE&author=%E0%A4%A"), ("GET", "/api/articles?tag=a+b%20c")],
)
def test_nul_bytes_huge_numbers_and_bad_escapes(scenario: Scenario, method: str, path: str) -> None:
    scenario.register("reader")
    scenario.run(Step(method, path, user="reader"))


def test_slugs_from_unicode_titles(scenario: Scenario) -> None:
    s = scenario
    s.register("writer")
    titles = ["日本語", "  --Hello,   World--  ", "ﬁnal ①", "Straße", "ǅemal Ǆ", "Ω Å K",
              "a\u0301\u0302b", "x" * 301, "-" * 50 + "Z"]
    s.run(*[Step("POST", "/api/articles", {"article": {"title": title, "description": "d",
                                                        "body": "b"}}, user="writer")
            for title in titles])
