"""Express's conventions: routing, CORS, ETags, 304s, the 404 page, body parsing, 500s."""

from __future__ import annotations

import gzip

import pytest
from flask import Flask
from flask.testing import FlaskClient

from backend.errors import encode_url
from backend.headers import is_fresh, weak_etag
from backend.routing import LooseRoute, decode_component
from backend.status_line import REASON_PHRASES
from tests.support.node_oracle import ask_one


def test_weak_etag_matches_express() -> None:
    assert weak_etag(b"") == 'W/"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk"'
    assert weak_etag(b'{"tags":[]}') == 'W/"b-' + weak_etag(b'{"tags":[]}')[5:]
    assert len(weak_etag(b"x" * 300).split("-")[1]) == 28  # 27 base64 characters and a quote


def test_loose_routes() -> None:
    route = LooseRoute("/api/articles/<param:slug>/comments", {"GET", "POST"})
    assert route.match("/Articles/Ab%20c/Comments/") == ["Ab%20c"]  # inside the /api mount
    assert route.match("/articles/a/comments//") is None
    assert route.canonical(["a/b%"]) == "/api/articles/a%2Fb%25/comments"
    assert decode_component("%E6%97%A5") == "日"
    for bad in ("%", "%ZZ", "%E6%97", "%C0%AF"):
        with pytest.raises(ValueError):
            decode_component(bad)


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/api/nope", "/api/nope"),
        ("/api/<b>&\"'", "/api/%3Cb%3E&%22'"),
        ("/api/%zz%41", "/api/%25zz%41"),
        ("/api/日", "/api/%E6%97%A5"),
    ],
)
def test_encode_url(path: str, expected: str) -> None:
    assert encode_url(path) == expected


def test_unknown_paths_get_the_express_404_page(client: FlaskClient) -> None:
    response = client.get("/api/<b>")
    assert response.status_code == 404
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "ETag" not in response.headers
    assert b"<pre>Cannot GET /api/%3Cb%3E</pre>" in response.data
    assert client.put("/api/tags").status_code == 404
    assert client.get("/api/tags//").status_code == 404
    assert client.get("/API/TAGS/").status_code == 200


def test_cors(client: FlaskClient) -> None:
    plain = client.get("/api/tags")
    assert plain.headers["Access-Control-Allow-Origin"] == "*"
    assert plain.headers["X-Powered-By"] == "Express"
    preflight = client.options("/anything", headers={"Access-Control-Request-Headers": "x-a"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"
    assert preflight.headers["Access-Control-Allow-Headers"] == "x-a"
    assert preflight.headers["Vary"] == "Access-Control-Request-Headers"
    assert preflight.data == b""


def test_conditional_get(client: FlaskClient) -> None:
    etag = client.get("/api/tags").headers["ETag"]
    fresh = client.get("/api/tags", headers={"If-None-Match": etag})
    assert fresh.status_code == 304
    assert fresh.data == b"" and "Content-Type" not in fresh.headers
    assert fresh.headers["ETag"] == etag
    assert client.get("/api/tags", headers={"If-None-Match": etag,
                                            "Cache-Control": "no-cache"}).status_code == 200
    assert client.post("/api/users", json={}, headers={"If-None-Match": "*"}).status_code == 422


def test_freshness_rules(app: Flask) -> None:
    with app.test_request_context(headers={"If-None-Match": '"a", W/"b"'}):
        assert is_fresh('W/"b"') and is_fresh('"a"') and not is_fresh('"c"')
        assert not is_fresh(None)
    with app.test_request_context(headers={"If-Modified-Since": "Wed, 21 Oct 2015 07:28:00 GMT"}):
        assert not is_fresh('W/"b"')
    with app.test_request_context():
        assert not is_fresh('W/"b"')


@pytest.mark.parametrize(
    "data, headers, status, errors",
    [
        (b"{", {}, 400, {"body": ["is not valid JSON"]}),
        (b"1", {}, 400, {"body": ["is not valid JSON"]}),
        (b'{"a":NaN}', {}, 400, {"body": ["is not valid JSON"]}),
        (b"[]", {}, 422, {"user": ["must be an object"]}),
        (b"", {}, 422, {"user": ["must be an object"]}),
        (b"{}", {"Content-Type": "application/json; charset=latin1"}, 415,
         {"body": ["has an unsupported charset"]}),
        (b"{}", {"Content-Type": "application/json; charset=utf-nope"}, 415,
         {"body": ["has an unsupported charset"]}),
        (b"{}", {"Content-Encoding": "compress"}, 415,
         {"body": ["has an unsupported content encoding"]}),
        (b"garbage", {"Content-Encoding": "gzip"}, 400, {"body": ["could not be read"]}),
        (gzip.compress(b"{}")[:-4], {"Content-Encoding": "gzip"}, 400,
         {"body": ["could not be read"]}),
        (b"x" * 102401, {}, 413, {"body": ["is too large"]}),
        (gzip.compress(b" " * 102401), {"Content-Encoding": "gzip"}, 413,
         {"body": ["is too large"]}),
    ],
)
def test_request_bodies(client: FlaskClient, data: bytes, headers: dict, status: int,
                        errors: dict) -> None:
    headers = {"Content-Type": "application/json", **headers}
    response = client.post("/api/users", data=data, headers=headers)
    assert response.status_code == status
    assert response.json == {"errors": errors}


def test_non_json_bodies_are_ignored(client: FlaskClient) -> None:
    response = client.post("/api/users", data="{", content_type="text/plain")
    assert response.json == {"errors": {"user": ["must be an object"]}}


def test_lone_surrogates_are_stored_as_replacement_characters(client: FlaskClient) -> None:
    client.post("/api/users", data='{"user":{"username":"jake","email":"j@x.io",'
                '"password":"password1","bio":"x"}}', content_type="application/json")
    token = client.post("/api/users/login", json={"user": {"email": "j@x.io",
                                                           "password": "password1"}}).json
    response = client.put("/api/user", data='{"user":{"bio":"a\\ud800b"}}',
                          content_type="application/json",
                          headers={"Authorization": f"Token {token['user']['token']}"})
    assert response.json["user"]["bio"] == "a\ufffdb"
    assert "a\ufffdb".encode() in response.data


def test_unexpected_errors_are_500_json(app: Flask, client: FlaskClient) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    response = client.get("/api/boom")
    assert response.status_code == 500
    assert response.json == {"errors": {"server": ["internal error"]}}
    assert response.headers["ETag"].startswith('W/"28-')


@pytest.mark.parametrize(
    "data, errors",
    [
        (b"[" * 30000 + b"]" * 30000, {"user": ["must be an object"]}),
        (b'{"user":{"username":' + b"[" * 3000 + b"]" * 3000 + b"}}",
         {"username": ["must be a string"], "email": ["can't be blank"],
          "password": ["can't be blank"]}),
    ],
)
def test_json_nested_deeper_than_the_c_scanner_allows(client: FlaskClient, data: bytes,
                                                      errors: dict) -> None:
    response = client.post("/api/users", data=data, content_type="application/json")
    assert response.status_code == 422
    assert response.json == {"errors": errors}


def test_reason_phrases_are_nodes() -> None:
    node = {int(code): phrase for code, phrase in ask_one("statusCodes").items()}
    assert REASON_PHRASES == node


@pytest.mark.parametrize(
    "method, path, status",
    [("POST", "/api/users", "422 Unprocessable Entity"), ("GET", "/api/nope", "404 Not Found"),
     ("OPTIONS", "/api/tags", "204 No Content"), ("GET", "/api/user", "401 Unauthorized")],
)
def test_every_response_carries_nodes_reason_phrase(client, method: str, path: str,
                                                    status: str) -> None:
    assert client.open(path, method=method, json={}).status == status
