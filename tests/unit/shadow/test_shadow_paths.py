"""Field path syntax: parsing, matching and writing paths."""

from __future__ import annotations

import pytest

from shadow.paths import FieldPath, format_path

DOCUMENT = {
    "status": 200,
    "headers": {"content-type": "application/json", "etag": "x"},
    "body": {
        "user": {"token": "t", "createdAt": "1"},
        "articles": [
            {"slug": "a", "updatedAt": "u1", "author": {"createdAt": "2"}},
            {"slug": "b", "updatedAt": "u2", "author": {"createdAt": "3"}},
        ],
        "odd.key": {"x": 1},
    },
}


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("status", (("key", "status"),)),
        ("headers.ETag", (("key", "headers"), ("key", "etag"))),
        ("body", (("key", "body"),)),
        ("body.user.token", (("key", "body"), ("key", "user"), ("key", "token"))),
        (
            "body.articles[*].updatedAt",
            (("key", "body"), ("key", "articles"), ("each", None), ("key", "updatedAt")),
        ),
        (
            "body.articles[0].slug",
            (("key", "body"), ("key", "articles"), ("index", 0), ("key", "slug")),
        ),
        ("body..createdAt", (("key", "body"), ("deep", "createdAt"))),
        ("body.*.x", (("key", "body"), ("any", None), ("key", "x"))),
        ('body["odd.key"].x', (("key", "body"), ("key", "odd.key"), ("key", "x"))),
    ],
)
def test_parse(text: str, steps: tuple) -> None:
    assert FieldPath.parse(text).steps == steps


@pytest.mark.parametrize(
    "text",
    [
        "",
        "user.token",
        "bodies.x",
        "status.code",
        "headers",
        "headers.a.b",
        "body.articles[x]",
        "body.articles[",
        "body..",
        "body.a[1",
        "body user",
    ],
)
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="field path"):
        FieldPath.parse(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status", [200]),
        ("headers.etag", ["x"]),
        ("body.user.token", ["t"]),
        ("body.articles[*].updatedAt", ["u1", "u2"]),
        ("body.articles[1].slug", ["b"]),
        ("body.articles[5].slug", []),
        ("body..createdAt", ["1", "2", "3"]),
        ("body.articles[*].author..createdAt", ["2", "3"]),
        ('body["odd.key"].x', [1]),
        ("body.*.token", ["t"]),
        ("body.missing.token", []),
    ],
)
def test_locate(text: str, expected: list) -> None:
    found = [container[key] for container, key in FieldPath.parse(text).locate(DOCUMENT)]
    assert sorted(found, key=str) == sorted(expected, key=str)


@pytest.mark.parametrize(
    ("keys", "generalise", "text"),
    [
        (["status"], False, "status"),
        (["headers", "content-type"], False, "headers.content-type"),
        (
            ["body", "articles", 3, "author", "following"],
            False,
            "body.articles[3].author.following",
        ),
        (["body", "articles", 3, "tagList", 0], True, "body.articles[*].tagList[*]"),
        (["body", "odd.key", "a b"], False, 'body["odd.key"]["a b"]'),
    ],
)
def test_format_path(keys: list, generalise: bool, text: str) -> None:
    assert format_path(keys, generalise=generalise) == text


def test_formatted_paths_parse_back_to_the_same_location() -> None:
    text = format_path(["body", "odd.key", "x"])
    assert FieldPath.parse(text).locate(DOCUMENT) == [(DOCUMENT["body"]["odd.key"], "x")]
