"""Express's own behaviour that the contract keeps: 404 page, ETags, HEAD, routing, CORS."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from tests.integration.legacy.conduit import Conduit, User

pytestmark = [pytest.mark.legacy, pytest.mark.postgres]


def not_found_page(method: str, path: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Error</title>\n</head>\n<body>\n<pre>Cannot {method} {path}</pre>\n"
        "</body>\n</html>\n"
    ).encode()


@pytest.mark.parametrize(
    ("method", "path", "shown"),
    [
        ("GET", "/api/nope", "/api/nope"),
        ("GET", "/api/nope?x=1", "/api/nope"),
        ("PATCH", "/api/user", "/api/user"),
        ("POST", "/api/tags", "/api/tags"),
        ("GET", "/api/articles/a/b/c", "/api/articles/a/b/c"),
        ("GET", "/api/tags//", "/api/tags//"),
        ("GET", "/", "/"),
        ("DELETE", "/api/n%C3%A9", "/api/n%C3%A9"),
        ("GET", "/api/<b>&\"'", "/api/%3Cb%3E&amp;%22&#39;"),
    ],
)
def test_express_404_page(conduit: Conduit, method: str, path: str, shown: str) -> None:
    response = conduit.client.request(method, path)
    assert response.status_code == 404
    assert response.content == not_found_page(method, shown)
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Powered-By"] == "Express"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" not in response.headers


def test_json_responses_are_compact_utf8_with_a_weak_etag(conduit: Conduit, alice: User) -> None:
    created = conduit.create_article(alice, "Ünïcode body", tagList=["日本"])
    response = conduit.get(f"/articles/{created['slug']}")
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["X-Powered-By"] == "Express"
    assert "日本".encode() in response.content and b": " not in response.content
    digest = base64.b64encode(hashlib.sha1(response.content).digest()).decode().rstrip("=")
    assert response.headers["ETag"] == f'W/"{len(response.content):x}-{digest}"'


def test_if_none_match_gives_304(conduit: Conduit) -> None:
    etag = conduit.get("/tags").headers["ETag"]
    response = conduit.get("/tags", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["ETag"] == etag
    assert conduit.get("/tags", headers={"If-None-Match": 'W/"0-x"'}).status_code == 200


def test_head_answers_like_get_without_a_body(conduit: Conduit) -> None:
    get = conduit.get("/tags")
    head = conduit.request("HEAD", "/tags")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert head.headers["ETag"] == get.headers["ETag"]


@pytest.mark.parametrize("path", ["/API/Tags", "/api/tags/", "/Api/TAGS/"])
def test_routing_ignores_case_and_one_trailing_slash(conduit: Conduit, path: str) -> None:
    response = conduit.client.get(path)
    assert response.status_code == 200
    assert "tags" in response.json()


def test_parameters_keep_their_case(conduit: Conduit, alice: User) -> None:
    response = conduit.client.get(f"/API/PROFILES/{alice.username}/")
    assert response.json()["profile"]["username"] == alice.username


@pytest.mark.parametrize("path", ["/api/articles", "/api/nope", "/"])
def test_preflight_on_any_path(conduit: Conduit, path: str) -> None:
    response = conduit.client.options(path, headers={
        "Origin": "https://example.com", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"
    assert response.headers["Access-Control-Allow-Headers"] == "authorization,content-type"
    assert response.headers["Vary"] == "Access-Control-Request-Headers"
    assert response.headers["Content-Length"] == "0"
    assert "Content-Type" not in response.headers


def test_options_without_request_headers(conduit: Conduit) -> None:
    response = conduit.client.options("/api/tags")
    assert response.status_code == 204
    assert "Access-Control-Allow-Headers" not in response.headers
    assert response.headers["Vary"] == "Access-Control-Request-Headers"


def test_responses_carry_cors_and_no_body_on_204(conduit: Conduit, alice: User) -> None:
    slug = conduit.create_article(alice)["slug"]
    response = conduit.delete(f"/articles/{slug}", alice, headers={"Origin": "https://a.b"})
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert not {"content-type", "content-length", "etag"} & set(response.headers)


def test_timestamps_are_iso_utc_milliseconds(conduit: Conduit, alice: User) -> None:
    created = conduit.create_article(alice)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", created["createdAt"])
