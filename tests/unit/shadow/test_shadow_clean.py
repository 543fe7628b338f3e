"""Clean: Express/Flask noise removed, bodies parsed, ignore rules and unordered lists applied."""

from __future__ import annotations

import json

import pytest

from shadow.clean import NOISE_HEADERS, canonical, clean, clean_headers, content_type
from shadow.document import EMPTY_BODY
from shadow.observation import Observation
from shadow.paths import IGNORED
from shadow.rules import Rules


def json_body(data: object, media: str = "application/json") -> Observation:
    return Observation(200, {"Content-Type": media}, json.dumps(data).encode())


def test_noise_headers_are_dropped_and_names_lower_cased() -> None:
    headers = {name.title(): "x" for name in NOISE_HEADERS} | {"Location": "/api/articles/a"}
    assert clean_headers(headers, Rules()) == {"location": "/api/articles/a"}


def test_repeated_headers_are_joined_and_token_lists_sorted() -> None:
    pairs = [
        ("Vary", "Origin"),
        ("vary", "Accept-Encoding"),
        ("Cache-Control", "no-cache, Private"),
    ]
    assert clean_headers(pairs, Rules()) == {
        "vary": "accept-encoding, origin",
        "cache-control": "no-cache, private",
    }


def test_extra_headers_are_compared_when_the_rules_name_them() -> None:
    rules = Rules().extended(headers=["ETag"])
    assert clean_headers({"ETag": '"abc"', "Date": "now"}, rules) == {"etag": '"abc"'}


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("application/json; charset=utf-8", "application/json;charset=UTF-8"),
        ("application/json; charset=utf8", "Application/JSON; Charset=UTF-8"),
        ('text/html; charset="ISO-8859-1"', "text/html;charset=latin-1"),
    ],
)
def test_content_type_ignores_charset_spelling(left: str, right: str) -> None:
    assert content_type(left) == content_type(right)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("application/json", "text/html"),
        ("application/json; charset=utf-8", "application/json"),
        ("text/html; charset=utf-8", "text/html; charset=latin-1"),
    ],
)
def test_content_type_still_tells_different_types_apart(left: str, right: str) -> None:
    assert content_type(left) != content_type(right)


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),  # key order is irrelevant
        ({"n": 1}, {"n": 1.0}, True),
        ({"n": 1.5}, {"n": 1.50}, True),
        ({"n": 1}, {"n": "1"}, False),
        ({"n": True}, {"n": 1}, False),
        ({"n": False}, {"n": 0}, False),
        ({"n": None}, {"n": ""}, False),
        ([1, 2], [2, 1], False),
    ],
)
def test_json_bodies_compare_structurally(left, right, equal: bool) -> None:
    rules = Rules()
    same = canonical(clean(json_body(left), rules)) == canonical(clean(json_body(right), rules))
    assert same is equal


def test_json_with_a_vendor_media_type_is_parsed() -> None:
    document = clean(json_body({"a": 1}, "application/problem+json"), Rules())
    assert document["body"] == {"a": 1}


def test_invalid_json_falls_back_to_text() -> None:
    observation = Observation(200, {"Content-Type": "application/json"}, b"{not json")
    assert clean(observation, Rules())["body"] == "{not json"


def test_text_is_decoded_by_its_charset() -> None:
    latin = Observation(
        200, {"Content-Type": "text/html; charset=latin-1"}, "café".encode("latin-1")
    )
    utf8 = Observation(200, {"Content-Type": "text/html; charset=latin-1"}, "café".encode())
    assert clean(latin, Rules())["body"] == "café"
    assert clean(utf8, Rules())["body"] != "café"


@pytest.mark.parametrize(
    ("media", "body"),
    [
        ("image/png", b"\x89PNG\r\n"),
        ("", b"\xff\xfe\x00binary"),
        ("application/octet-stream", b"x"),
    ],
)
def test_binary_bodies_are_compared_by_digest(media: str, body: bytes) -> None:
    headers = {"Content-Type": media} if media else {}
    cleaned = clean(Observation(200, headers, body), Rules())["body"]
    assert cleaned.startswith(f"<{len(body)} bytes sha256:")
    other = clean(Observation(200, headers, body + b"!"), Rules())["body"]
    assert other != cleaned


def test_oversized_bodies_are_not_parsed() -> None:
    rules = Rules(max_body_bytes=10)
    assert clean(json_body({"long": "x" * 20}), rules)["body"].startswith("<32 bytes")


def test_empty_body_is_not_the_json_empty_string() -> None:
    empty = clean(Observation(204, {}, b""), Rules())["body"]
    assert empty is EMPTY_BODY
    assert empty != clean(json_body(""), Rules())["body"] == ""


def test_any_ignore_rules_remove_fields_and_mask_list_elements() -> None:
    rules = Rules().extended(
        ignore=["any:status", "any:headers.content-type", "any:body..createdAt",
                "any:body.items[1]"]
    )  # fmt: skip
    data = {"user": {"createdAt": 1, "name": "a"}, "items": [{"createdAt": 2}, "b", "c"]}
    assert clean(json_body(data), rules) == {
        "headers": {},
        "body": {"user": {"name": "a"}, "items": [{}, IGNORED, "c"]},
    }


def test_ignore_rules_keep_the_shape_of_what_they_forgive() -> None:
    rules = Rules().extended(
        ignore=["status", "headers.content-type", "body..createdAt", "body.items[1]"]
    )
    data = {"user": {"createdAt": 1, "name": "a"}, "items": [{"createdAt": 2}, "b", "c"]}
    assert canonical(clean(json_body(data), rules)) == canonical({
        "status": "<number>",
        "headers": {"content-type": "<string>"},
        "body": {"user": {"createdAt": "<number>", "name": "a"},
                 "items": [{"createdAt": "<number>"}, "<string>", "c"]},
    })  # fmt: skip


def test_unordered_lists_compare_as_multisets() -> None:
    rules = Rules().extended(unordered=["body.tags", "body.articles[*].tagList"])
    left = {"tags": ["b", "a", "a"], "articles": [{"tagList": ["y", "x"]}]}
    right = {"tags": ["a", "b", "a"], "articles": [{"tagList": ["x", "y"]}]}
    fewer = {"tags": ["a", "b"], "articles": [{"tagList": ["x", "y"]}]}
    cleaned = [canonical(clean(json_body(d), rules)) for d in (left, right, fewer)]
    assert cleaned[0] == cleaned[1]
    assert cleaned[0] != cleaned[2]


def test_json_without_a_content_type_is_still_parsed() -> None:
    left = Observation(200, {}, b'{"a": 1, "b": 2}')
    right = Observation(200, {}, b'{"b": 2, "a": 1.0}')
    assert clean(left, Rules()) == clean(right, Rules())
    assert clean(Observation(200, {}, b"[not json"), Rules())["body"] == "[not json"
