"""Bad input never crashes legacy nor yields a 500: each answer is a clean 4xx."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from tests.integration.legacy.conduit import Conduit, User
from tests.support.processes import ServerProcess

pytestmark = [pytest.mark.legacy, pytest.mark.postgres]

JSON = {"Content-Type": "application/json"}


def body_error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.json() == {"errors": {"body": [message]}}


@pytest.mark.parametrize(
    "content", [b"{", b'{"user": }', b"{'user': {}}", b'"just a string"', b"42", b"null",
                b"\xff\xfe", b'{"user": {}} trailing']
)
@pytest.mark.parametrize(("method", "path"), [("POST", "/users"), ("PUT", "/user"),
                                              ("POST", "/articles/any/comments")])
def test_malformed_json_is_400(conduit: Conduit, content: bytes, method: str, path: str) -> None:
    # The body is read before authentication and routing, so no token is needed to see it.
    response = conduit.request(method, path, content=content, headers=JSON)
    body_error(response, 400, "is not valid JSON")


def test_oversized_body_is_413(conduit: Conduit, alice: User) -> None:
    big = json.dumps({"article": {"title": "t", "description": "d", "body": "x" * 102_400}})
    body_error(conduit.post("/articles", alice, content=big, headers=JSON), 413, "is too large")


def test_a_body_just_under_the_limit_is_read(conduit: Conduit, alice: User) -> None:
    article = {"title": "Big", "description": "d", "body": "x" * 100_000}
    response = conduit.post("/articles", alice, json={"article": article})
    assert response.status_code == 201
    assert len(response.json()["article"]["body"]) == 100_000


@pytest.mark.parametrize(
    ("headers", "content", "status", "message"),
    [
        ({"Content-Encoding": "compress"}, b"{}", 415, "has an unsupported content encoding"),
        ({"Content-Type": "application/json; charset=latin9"}, b"{}", 415,
         "has an unsupported charset"),
        ({"Content-Encoding": "gzip"}, b"not gzip at all", 400, "could not be read"),
    ],
)
def test_unreadable_bodies(
    conduit: Conduit, headers: dict, content: bytes, status: int, message: str
) -> None:
    response = conduit.post("/users", content=content, headers={**JSON, **headers})
    body_error(response, status, message)


def test_a_gzipped_body_is_read(conduit: Conduit) -> None:
    content = gzip.compress(json.dumps({"user": {}}).encode())
    response = conduit.post("/users", content=content,
                            headers={**JSON, "Content-Encoding": "gzip"})
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["username", "email", "password"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_counts_as_empty(
    conduit: Conduit, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = conduit.post("/users", content=b'{"user": {"username": "x"}}', headers=headers)
    assert response.status_code == 422
    assert response.json() == {"errors": {"user": ["must be an object"]}}


@pytest.mark.parametrize(
    "body",
    [{"user": []}, {"user": "x"}, {"user": 1}, {"user": True}, [], [{"user": {}}],
     json.loads("[" * 2000 + "]" * 2000)],
)
def test_wrong_wrapper_types_are_422(conduit: Conduit, body: object) -> None:
    response = conduit.post("/users", json=body)
    assert response.status_code == 422
    assert response.json() == {"errors": {"user": ["must be an object"]}}


def test_wrong_field_types_are_422(conduit: Conduit, alice: User) -> None:
    response = conduit.post(
        "/articles", alice,
        json={"article": {"title": ["t"], "description": {"d": 1}, "body": 1.5, "tagList": "x"}},
    )
    assert response.status_code == 422
    assert response.json() == {"errors": {
        "title": ["must be a string"], "description": ["must be a string"],
        "body": ["must be a string"], "tagList": ["must be an array of strings"]}}


def test_unknown_fields_are_ignored(conduit: Conduit, alice: User) -> None:
    article = {"title": "Unknown fields", "description": "d", "body": "b", "slug": "chosen",
               "favoritesCount": 99, "author": {"username": "someone"}, "__proto__": {"x": 1}}
    response = conduit.post("/articles", alice, json={"article": article, "extra": [1, 2]})
    assert response.status_code == 201
    created = response.json()["article"]
    assert (created["slug"], created["favoritesCount"]) == ("unknown-fields", 0)
    assert created["author"]["username"] == alice.username


@pytest.mark.parametrize(
    ("field", "length", "message"),
    [
        ("title", 60_000, "is too long (maximum is 255 characters)"),
        ("description", 60_000, "is too long (maximum is 1024 characters)"),
    ],
)
def test_very_long_strings_are_422(
    conduit: Conduit, alice: User, field: str, length: int, message: str
) -> None:
    article = {"title": "t", "description": "d", "body": "b", field: "\U0001f600" * (length // 4)}
    response = conduit.post("/articles", alice, json={"article": article})
    assert response.status_code == 422
    assert response.json() == {"errors": {field: [message]}}


def test_very_long_path_and_query_values(conduit: Conduit, alice: User) -> None:
    long = "x" * 5000
    assert conduit.get(f"/articles/{long}").status_code == 404
    assert conduit.get(f"/profiles/{long}").status_code == 404
    listed = conduit.get(f"/articles?tag={long}&author={long}&favorited={long}")
    assert listed.json() == {"articles": [], "articlesCount": 0}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/articles/%00", 404),
        ("/profiles/%00", 404),
        ("/articles?tag=%00", 422),
        ("/articles?limit=1%00", 422),
        ("/articles?offset=99999999999999999999999999999999", 422),
        ("/articles/x/comments/99999999999999999999999999999999", 404),
        ("/profiles/%E0%A4%A", 400),
        ("/articles/%ED%A0%80", 400),
    ],
)
def test_nul_bytes_huge_numbers_and_bad_escapes(
    conduit: Conduit, alice: User, path: str, status: int
) -> None:
    slug = conduit.create_article(alice, "x")["slug"]
    response = conduit.request("DELETE" if "comments" in path else "GET",
                               path.replace("/x/", f"/{slug}/"), alice)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    if status == 400:
        assert response.json() == {"errors": {"path": ["is not valid percent-encoded UTF-8"]}}


def test_nul_in_login_and_registration_fields(conduit: Conduit) -> None:
    response = conduit.post("/users", json={"user": {
        "username": "nul\u0000user", "email": "nul\u0000@x.io", "password": "pass\u0000word"}})
    assert response.status_code == 422
    assert response.json() == {"errors": {
        "username": ["contains invalid characters"], "email": ["contains invalid characters"],
        "password": ["contains invalid characters"]}}


def test_lone_surrogates_are_stored_as_replacement_characters(
    conduit: Conduit, alice: User
) -> None:
    content = b'{"article": {"title": "\\ud800lone", "description": "d\\udfff", "body": "b"}}'
    response = conduit.post("/articles", alice, content=content, headers=JSON)
    assert response.status_code == 201
    created = response.json()["article"]
    assert (created["title"], created["description"]) == ("\ufffdlone", "d\ufffd")
    fetched = conduit.get(f"/articles/{created['slug']}").json()["article"]
    assert (fetched["title"], created["slug"]) == ("\ufffdlone", "lone")


@pytest.mark.parametrize(
    ("method", "headers", "content", "status", "errors"),
    [
        ("GET", JSON, b"{", 400, {"body": ["is not valid JSON"]}),  # GET bodies are read too
        ("POST", JSON, b"   ", 400, {"body": ["is not valid JSON"]}),
        ("POST", JSON, b"\xef\xbb\xbf{}", 422, {"user": ["must be an object"]}),  # BOM dropped
        ("POST", {"Content-Type": "Application/JSON; charset=UTF-8"}, b'{"user": {}}', 422,
         {"username": ["can't be blank"], "email": ["can't be blank"],
          "password": ["can't be blank"]}),
        ("POST", {"Content-Type": "application/vnd.api+json"}, b'{"user": {}}', 422,
         {"user": ["must be an object"]}),  # only application/json is parsed
        ("POST", {**JSON, "Content-Encoding": "zstd"}, b"{}", 415,
         {"body": ["has an unsupported content encoding"]}),
        ("POST", {**JSON, "Content-Encoding": "GZIP"}, b"{}", 400,
         {"body": ["could not be read"]}),
        ("POST", {"Content-Type": "application/json; charset=utf-99"}, b"{}", 415,
         {"body": ["has an unsupported charset"]}),
    ],
)
def test_body_parser_edges(
    conduit: Conduit, method: str, headers: dict, content: bytes, status: int, errors: dict
) -> None:
    path = "/tags" if method == "GET" else "/users"
    response = conduit.request(method, path, content=content, headers=headers)
    assert response.status_code == status
    assert response.json() == {"errors": errors}


def test_the_body_is_read_before_routing(conduit: Conduit) -> None:
    response = conduit.post("/no-such-route", content=b"{", headers=JSON)
    body_error(response, 400, "is not valid JSON")


def test_the_service_is_still_healthy(conduit: Conduit, legacy: ServerProcess) -> None:
    assert conduit.get("/tags").status_code == 200
    assert legacy.proc is not None and legacy.proc.poll() is None
    log = legacy.log_path.read_text(errors="replace")
    assert not re.search(r" /api/\S* 5\d\d ", log)  # morgan: no 5xx was answered
