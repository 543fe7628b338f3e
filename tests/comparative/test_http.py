"""What every route shares: routing, CORS, 404 pages, bodies, ETags, authentication errors."""

from __future__ import annotations

import gzip
import time
import warnings
import zlib

import brotli
import jwt
import pytest

from tests.comparative.scenario import Scenario, Step
from tests.support.processes import TEST_JWT_SECRET


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/api/nope"),
        ("GET", "/"),
        ("GET", "/api"),
        ("GET", "/api/"),
        ("POST", "/api/tags"),
        ("PUT", "/api/articles"),
        ("PATCH", "/api/user"),
        ("DELETE", "/api/users"),
        ("GET", "/api/tags//"),
        ("GET", "/api//tags"),
        ("GET", "/api/t%61gs"),
        ("GET", "/api/nope?x=<script>"),
        ("GET", "/api/<b>&'\"x"),
        ("GET", "/api/%E6%97%A5%ZZ%"),
        ("GET", "/api/%E6%97%A5%E6%9C%AC"),
        ("HEAD", "/api/nope"),
        ("POST", "/api/articles/feed"),
        ("GET", "/api/articles/a/b/c"),
        ("GET", "/api/profiles/"),
    ],
)
def test_unknown_routes_get_the_express_404_page(
    scenario: Scenario, method: str, path: str
) -> None:
    scenario.run(Step(method, path))


@pytest.mark.parametrize(
    "path",
    ["/API/TAGS", "/api/tags/", "/Api/Tags/", "/api/tags?x=1", "/api/articles/FEED",
     "/api/articles/?limit=1"],
)
def test_literal_segments_are_case_insensitive(scenario: Scenario, path: str) -> None:
    scenario.register("reader")
    scenario.run(Step("GET", path, user="reader"), Step("HEAD", path, user="reader"))


@pytest.mark.parametrize(
    "path",
    ["/api/profiles/%ZZ", "/api/profiles/%E6%97", "/api/articles/%FF/comments",
     "/api/articles/ok/comments/%", "/api/profiles/%C0%AF"],
)
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "PATCH"])
def test_undecodable_parameters(scenario: Scenario, method: str, path: str) -> None:
    scenario.run(Step(method, path))


@pytest.mark.parametrize(
    "path", ["/api/profiles/a%2Fb", "/api/profiles/%E6%97%A5", "/api/profiles/a%25b",
             "/api/profiles/A+B", "/api/articles/%2e%2e"],
)
def test_encoded_parameters(scenario: Scenario, path: str) -> None:
    scenario.run(Step("GET", path))


@pytest.mark.parametrize("path", ["/api/tags", "/api/nope", "/api/articles/x/comments/1"])
@pytest.mark.parametrize("request_headers", [None, "content-type, authorization", ""])
def test_cors_preflight(scenario: Scenario, path: str, request_headers: str | None) -> None:
    headers = {"Origin": "http://example.com", "Access-Control-Request-Method": "POST"}
    if request_headers is not None:
        headers["Access-Control-Request-Headers"] = request_headers
    scenario.run(Step("OPTIONS", path, headers=headers), Step("OPTIONS", path))


@pytest.mark.parametrize(
    "raw, headers",
    [
        (b"{", {"Content-Type": "application/json"}),
        (b'"scalar"', {"Content-Type": "application/json"}),
        (b"null", {"Content-Type": "application/json"}),
        (b" \n[1]", {"Content-Type": "application/json"}),
        (b'{"a": NaN}', {"Content-Type": "application/json"}),
        (b"", {"Content-Type": "application/json"}),
        (b"\xef\xbb\xbf{}", {"Content-Type": "application/json"}),
        (b"{}", {"Content-Type": "application/json; charset=latin1"}),
        (b"{}", {"Content-Type": "application/json; charset=utf-8"}),
        (b"{}", {"Content-Type": "APPLICATION/JSON"}),
        (b"{", {"Content-Type": "text/plain"}),
        (b"{", {"Content-Type": "application/vnd.api+json"}),
        (b"{", {}),
        (b"{}", {"Content-Type": "application/json", "Content-Encoding": "compress"}),
        (gzip.compress(b'{"user":{}}'), {"Content-Type": "application/json",
                                         "Content-Encoding": "gzip"}),
        (zlib.compress(b'{"user":{}}'), {"Content-Type": "application/json",
                                         "Content-Encoding": "deflate"}),
        (b"not gzip", {"Content-Type": "application/json", "Content-Encoding": "gzip"}),
        (gzip.compress(b'{"user":{}}')[:-6], {"Content-Type": "application/json",
                                              "Content-Encoding": "gzip"}),
        (brotli.compress(b'{"user":{}}'), {"Content-Type": "application/json",
                                           "Content-Encoding": "br"}),
        (gzip.compress(b'{"user":"' + b"x" * 102400 + b'"}'),
         {"Content-Type": "application/json", "Content-Encoding": "GZIP"}),
        (b"{}", {"Content-Type": "application/json; charset=utf-16le"}),
        ('{"user":{"username":"é"}}'.encode("utf-16le"),
         {"Content-Type": "application/json; charset=utf-16le"}),
        (b"{}", {"Content-Type": "application/json; charset=utf-x"}),
        (b"{}", {"Content-Type": "application/json; charset=UTF-8"}),
        (b"{}", {"Content-Type": "application/json;;"}),
        (b'{"user":"' + b"x" * 102400 + b'"}', {"Content-Type": "application/json"}),
        (b'{"user":{"username":"\xff\xfe"}}', {"Content-Type": "application/json"}),
    ],
)
@pytest.mark.parametrize("path", ["/api/users", "/api/nope"])
def test_request_bodies(scenario: Scenario, raw: bytes, headers: dict, path: str) -> None:
    scenario.run(Step("POST", path, raw=raw, headers=headers))


def test_body_errors_come_before_authentication(scenario: Scenario) -> None:
    scenario.run(
        Step("POST", "/api/articles", raw=b"{", headers={"Content-Type": "application/json"}),
        Step("PUT", "/api/user", raw=b"[]", headers={"Content-Type": "application/json"}),
        Step("GET", "/api/tags", raw=b"{", headers={"Content-Type": "application/json"}),
    )


def _token(sub: object = None, **claims: object) -> str:
    now = int(time.time())
    payload = {"username": "x", "iat": now, "exp": now + 3600, "sub": sub, **claims}
    payload = {key: value for key, value in payload.items() if value is not None}
    return jwt.encode(payload, TEST_JWT_SECRET, algorithm="HS256")


def _hs512(payload: dict) -> str:
    """Sign with the right secret but another algorithm (the key is short for HS512)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(payload, TEST_JWT_SECRET, algorithm="HS512")


def _authorization_cases() -> list[str]:
    now = int(time.time())
    return [
        "",
        "Token",
        "Token ",
        "Bearer abc",
        "Token a b",
        "token  abc",
        "TOKEN not-a-jwt",
        "Token " + _token("1", exp=now - 10),
        "Token " + _token("abc"),
        "Token " + _token("99999"),
        "Token " + _token("00000000001"),
        "Token " + _token("2147483648"),
        "Token " + _token(1),
        "Token " + _token("1", exp="soon"),
        "Token " + _token("1", nbf=now + 1000),
        "Token " + jwt.encode({"username": "x", "sub": "1"}, TEST_JWT_SECRET, algorithm="HS256"),
        "Token " + jwt.encode({"sub": "1", "exp": now + 99}, "other-secret-of-enough-length-xx",
                              algorithm="HS256"),
        "Token " + _hs512({"sub": "1", "exp": now + 99}),
        "Token eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiIxIn0.",
        "Tokenabc",
        "Basic dXNlcjpwYXNz",
        "Token abc.def.ghi",
        "Token " + _token("1.0"),
        "Token " + _token(None),
        "tOKEN " + _token("1"),
        "Token " + _token("1").rsplit(".", 1)[0] + "." + _token("2").rsplit(".", 1)[1],
    ]


@pytest.mark.parametrize("authorization", _authorization_cases())
@pytest.mark.parametrize("method, path", [("GET", "/api/user"), ("GET", "/api/articles"),
                                          ("GET", "/api/tags"), ("GET", "/api/profiles/x")])
def test_authentication_errors(scenario: Scenario, authorization: str, method: str,
                               path: str) -> None:
    scenario.register("first")  # user ids exist on both sides for the "sub" cases
    scenario.run(Step(method, path, headers={"Authorization": authorization}))


def test_conditional_get(scenario: Scenario) -> None:
    s = scenario
    first = s.run(Step("GET", "/api/tags"))[0]
    etag = first[0].header("etag") or ""
    s.run(
        Step("GET", "/api/tags", headers={"If-None-Match": etag}),
        Step("HEAD", "/api/tags", headers={"If-None-Match": etag}),
        Step("GET", "/api/tags", headers={"If-None-Match": "*"}),
        Step("GET", "/api/tags", headers={"If-None-Match": f'"x", {etag}'}),
        Step("GET", "/api/tags", headers={"If-None-Match": etag, "Cache-Control": "no-cache"}),
        Step("GET", "/api/tags", headers={"If-None-Match": etag.removeprefix("W/")}),
        Step("GET", "/api/tags", headers={"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        Step("GET", "/api/user", headers={"If-None-Match": "*"}),
        Step("POST", "/api/users", {"user": {}}, headers={"If-None-Match": "*"}),
    )
