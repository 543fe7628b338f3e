"""What generated input found (differential fuzzing, tests/fuzz): one test per cause.

Each cause made legacy and the backend answer or store differently; each test sends the
inputs that showed it, and their neighbours, to both sides.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
import zlib

import brotli
import pytest
import sqlalchemy as sa

from backend.database import database_url
from tests.comparative.scenario import Scenario, Step
from tests.support import jwt_variants
from tests.support.processes import TEST_JWT_SECRET
from tests.support.sides import Sides

JSON = {"Content-Type": "application/json"}
# Code points Node 20 (Unicode 17) lower-cases, or slugifies, unlike Python 3.13 (15.1).
SKEWED_LOWER = ["\u1c89", "\ua7cb", "\ua7cc", "\ua7dc", "\U00010d50", "\U00016ea0"]
SKEWED_SLUG = ["\u0897", "\u1acf", "\u1ad9", "\ua7f1", "\U00010d69", "\U000113bb"]


def test_unicode_version_skew_in_emails_and_slugs(scenario: Scenario) -> None:
    s = scenario
    s.register("writer")
    steps = []
    for number, char in enumerate(SKEWED_LOWER):
        email = f"{char}x{number}.{s.suffix}@b.co"
        steps += [
            Step("POST", "/api/users", {"user": {"username": f"u{number}_{s.suffix}",
                                                 "email": email, "password": "password123"}}),
            Step("POST", "/api/users/login", {"user": {"email": email,
                                                       "password": "password123"}}),
            Step("POST", "/api/users/login", {"user": {"email": email.lower(),
                                                       "password": "password123"}}),
            Step("PUT", "/api/user", {"user": {"email": f"Σ{char}Σ{number}.{s.suffix}@b.co"}},
                 user="writer"),
        ]
    for char in SKEWED_SLUG + SKEWED_LOWER:
        steps.append(Step("POST", "/api/articles", {"article": {
            "title": f"a{char}b {s.suffix}", "description": "d", "body": "b"}}, user="writer"))
    s.run(*steps)


def test_fragment_in_the_request_target(scenario: Scenario) -> None:
    s = scenario
    s.register("alice")
    s.register("bob")
    bob = s.username("bob")
    s.run(
        Step("POST", f"/api/profiles/{bob}/follow#", user="alice"),
        Step("GET", f"/api/profiles/{bob}", user="alice"),
        Step("DELETE", f"/api/profiles/{bob}/follow#x?y", user="alice"),
        Step("GET", f"/api/profiles/{bob}#", user="alice"),
        Step("GET", "/api/articles#?limit=0"),
        Step("GET", "/api/articles?limit=0#x"),
        Step("GET", "/api/tags/#"),
        Step("GET", "/API#/tags"),
        Step("GET", "/api\\tags#"),
        Step("GET", "/api/tags?q\\#"),
        Step("GET", "/api/profiles/a'b#"),
        Step("GET", "http://u%ZZ@host/api/tags"),
        Step("GET", "http://host/api/tags#x"),
        Step("POST", "/api/nope#", raw=b"{", headers=JSON),
    )


def _install_token_variants(scenario: Scenario, holder: str) -> list[str]:
    """Give each side the JWT variants for its own ``holder`` as captures ``jwt0``, ``jwt1``..."""
    now = int(time.time())
    names: list[str] = []
    for side in (scenario.legacy, scenario.backend):
        payload = side.captures[f"token:{holder}"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        variants = jwt_variants.variants(TEST_JWT_SECRET, int(claims["sub"]), now)
        names = list(variants)
        for number, token in enumerate(variants.values()):
            side.captures[f"jwt{number}"] = token
    return names


@pytest.mark.parametrize("method, path", [("GET", "/api/user"), ("GET", "/api/articles")])
def test_token_variants(scenario: Scenario, method: str, path: str) -> None:
    scenario.register("holder")
    names = _install_token_variants(scenario, "holder")
    scenario.run(*[Step(method, path, authorization=f"Token {{jwt{number}}}")
                   for number in range(len(names))])


@pytest.mark.parametrize(
    "query",
    ["limit=0&offset=1&offset=1", "offset=1&offset=1&limit=0", "offset=x&limit=1&limit=2",
     "tag=a&tag=b&limit=x&author=1&author=2&favorited=%00", "limit=1&limit=1&offset=-1",
     "favorited=a&favorited=b&tag=%00&offset=1&offset=2&limit=101"],
)
def test_error_order_with_repeated_parameters(scenario: Scenario, query: str) -> None:
    scenario.register("reader")
    scenario.run(Step("GET", f"/api/articles?{query}"),
                 Step("GET", f"/api/articles/feed?{query}", user="reader"))


def test_repeated_headers(scenario: Scenario) -> None:
    """Node keeps the first Authorization and joins the others (gunicorn refuses a repeated
    Content-Type or Host: a server-level difference, docs/contract.md)."""
    s = scenario
    s.register("alice")
    preflight = {"Origin": "http://example.com", "Access-Control-Request-Method": "POST"}
    s.run(
        Step("GET", "/api/user", user="alice", header_lines=[("Authorization", "Token x")]),
        Step("GET", "/api/user", header_lines=[("Authorization", "Token x"),
                                               ("authorization", "Token y")]),
        Step("GET", "/api/articles", header_lines=[("AUTHORIZATION", "nope"),
                                                   ("Authorization", "Token a")]),
        Step("POST", "/api/users", raw=gzip.compress(b'{"user":{}}'), headers=JSON,
             header_lines=[("Content-Encoding", "gzip"), ("Content-Encoding", "identity")]),
        Step("OPTIONS", "/api/tags", headers=preflight,
             header_lines=[("Access-Control-Request-Headers", "a"),
                           ("Access-Control-Request-Headers", "b")]),
        Step("GET", "/api/tags", header_lines=[("If-None-Match", '"x"'),
                                               ("If-None-Match", "*")]),
        Step("GET", "/api/user", header_lines=[("X-Filler", "v")] * 998
             + [("Authorization", "Token x")]),
        Step("GET", "/api/user", header_lines=[("X-Filler", "v")] * 996
             + [("Authorization", "Token x")]),
    )


def _gzip_members(*parts: bytes) -> bytes:
    return b"".join(gzip.compress(part) for part in parts)


@pytest.mark.parametrize(
    "raw, encoding",
    [
        (gzip.compress(b'{"user":{}}') + b"xx", "gzip"),
        (gzip.compress(b'{"user":{}}') + b"\0\0", "gzip"),
        (gzip.compress(b'{"user":{}}') + b"\0junk", "gzip"),
        (gzip.compress(b'{"user":{}}') + b"\x1f", "gzip"),
        (_gzip_members(b'{"user":', b'{"email":"a"}}'), "gzip"),
        (_gzip_members(b'{"user":{}}', b""), "gzip"),
        (gzip.compress(b'{"user":{}}') + b"\x1f\x8b" + b"junk", "gzip"),
        (b'{"user":{}}', ""),
        (b'{"user":{}}', " "),
        (brotli.compress(b'{"user":{}}') + b"xx", "br"),
        (brotli.compress(b'{"user":{}}') * 2, "br"),
        (zlib.compress(b'{"user":{}}') + b"junk", "deflate"),
        (gzip.compress(b'{"user":{}}'), "x-gzip"),
        (gzip.compress(b'{"user":{}}'), "zstd"),
    ],
    ids=["gzip trailing bytes", "gzip trailing zeros", "gzip zero then junk",
         "gzip partial magic", "gzip two members", "gzip empty member", "gzip bad member",
         "empty", "space", "br trailing bytes", "br twice", "deflate trailing bytes",
         "x-gzip", "zstd"],
)
def test_content_encodings(scenario: Scenario, raw: bytes, encoding: str) -> None:
    headers = {**JSON, "Content-Encoding": encoding}
    scenario.run(Step("POST", "/api/users", raw=raw, headers=headers),
                 Step("POST", "/api/nope", raw=raw, headers=headers))


def _utf7(text: str) -> bytes:
    return text.encode("utf-7")


@pytest.mark.parametrize(
    "charset, raw",
    [
        ("charset=utf-8-sig", b'{"user":{}}'),
        ("charset=utf-", b'{"user":{}}'),
        ("charset=utf-8; charset=latin1", b'{"user":{}}'),
        ("charset=latin1; charset=utf-8", b'{"user":{}}'),
        ("charset = latin1", b'{"user":{}}'),
        ("charset=utf-8 ; x=1", b'{"user":{}}'),
        ("charset*=UTF-8''latin1", b'{"user":{}}'),
        ("charset=(utf-8)", b'{"user":{}}'),
        ('charset="utf-8', b'{"user":{}}'),
        ('charset="utf\\-16le"', '{"user":{"email":"é"}}'.encode("utf-16-le")),
        ("charset=utf-16-le", '{"user":{"email":"é"}}'.encode("utf-16-le")),
        ("charset=UTF-8:2019", b'{"user":{}}'),
        ("charset=utf-16", '{"user":{"email":"\ud83d"}}'.encode("utf-16-be", "surrogatepass")),
        ("charset=utf-16", b"\xff\xfe" + '{"user":{}}'.encode("utf-16-le") + b"x"),
        ("charset=utf-32", '{"user":{"email":"x"}}'.encode("utf-32-be")),
        ("charset=utf-32le", b"\xff\xfe\x00\x00" + '{"user":{}}'.encode("utf-32-le") + b"\0"),
        ("charset=utf-7", _utf7('{"user":{"email":"é@x.io"}}')),
        ("charset=utf-7-imap", b'{"user":{"email":"&AOk-@x.io"}}'),
        ("charset=", b'{"user":{}}'),
        ("charset", b'{"user":{}}'),
        ("charset=utf-8\t", b'{"user":{}}'),
    ],
    ids=lambda value: value if isinstance(value, str) else f"{len(value)} bytes",
)
def test_charset_parameters(scenario: Scenario, charset: str, raw: bytes) -> None:
    scenario.run(Step("POST", "/api/users", raw=raw,
                      headers={"Content-Type": f"application/json; {charset}"}))


def test_query_strings_past_a_thousand_parameters(scenario: Scenario) -> None:
    filler = "&".join(f"k{n}=v" for n in range(999))
    scenario.run(
        Step("GET", f"/api/articles?{filler}&limit=0"),  # the 1,000th pair is read
        Step("GET", f"/api/articles?{filler}&x=1&limit=0"),  # the 1,001st is not
        Step("GET", "/api/articles?" + "&" * 999 + "limit=0"),
        Step("GET", "/api/articles?" + "&" * 1000 + "limit=0"),
        Step("GET", "/api/articles?" + "&".join(["tag=a"] * 1200)),
    )


def _registered_with_two_instants(url: str, prefix: str) -> tuple[int, int]:
    """Count users named ``prefix...`` and those whose two timestamps differ."""
    engine = sa.create_engine(database_url(url))
    where = "WHERE username LIKE :prefix"
    try:
        with engine.connect() as connection:
            total = connection.scalar(sa.text(f"SELECT count(*) FROM users {where}"),
                                      {"prefix": prefix + "%"})
            split = connection.scalar(
                sa.text(f"SELECT count(*) FROM users {where} AND created_at <> updated_at"),
                {"prefix": prefix + "%"})
    finally:
        engine.dispose()
    return total, split


def test_registration_stores_one_instant(scenario: Scenario, sides: Sides) -> None:
    # Two clock reads land in different milliseconds about once in fifty registrations.
    for number in range(40):
        scenario.register(f"clock{number}")
    prefix = f"clock%_{scenario.suffix}"
    assert _registered_with_two_instants(sides.legacy_database, prefix) == (40, 0)
    assert _registered_with_two_instants(sides.backend_database, prefix) == (40, 0)


def _tags(url: str) -> list[tuple[int, str]]:
    engine = sa.create_engine(database_url(url))
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(
                sa.text("SELECT id, name FROM tags ORDER BY id"))]
    finally:
        engine.dispose()


def test_tags_take_the_same_ids(scenario: Scenario, sides: Sides) -> None:
    """Legacy inserts every tag name with ON CONFLICT DO NOTHING, new or not (on PostgreSQL
    each takes a sequence value), so later tags get the same ids only if the backend does."""
    s = scenario
    s.register("tagger")
    s.run(*[Step("POST", "/api/articles", {"article": {
        "title": f"Tagged {n}", "description": "d", "body": "b",
        "tagList": [f"old-{s.suffix}", f"new{n}-{s.suffix}", f"old-{s.suffix}"]}},
        user="tagger") for n in range(4)])
    assert _tags(sides.legacy_database) == _tags(sides.backend_database)
