from __future__ import annotations

import pytest

from proxy.patterns import BadPath, PatternError, RoutePattern, canonical_segments


def test_parse_literals_and_params() -> None:
    pattern = RoutePattern.parse("GET /api/articles/:slug/comments/:id")
    assert pattern.segments == ("api", "articles", None, "comments", None)
    assert pattern.template == "GET /api/articles/:slug/comments/:id"


@pytest.mark.parametrize(
    ("route", "message"),
    [
        ("FETCH /api/tags", "bad method"),
        ("get /api/tags", "bad method"),
        ("GET api/tags", "must start with '/'"),
        ("GET /api//tags", "empty segment"),
        ("GET /api/tags/", "empty segment"),
        ("GET /api/:slug(\\d+)", "neither a literal nor a :param"),
        ("GET /api/*", "neither a literal nor a :param"),
        ("GET /api/../tags", "neither a literal nor a :param"),
    ],
)
def test_parse_rejects(route: str, message: str) -> None:
    with pytest.raises(PatternError, match=message):
        RoutePattern.parse(route)


@pytest.mark.parametrize(
    ("raw", "segments"),
    [
        ("/api/tags", ["api", "tags"]),
        ("/api/tags/", ["api", "tags"]),
        ("//api///tags", ["api", "tags"]),
        ("/api/%74ags", ["api", "tags"]),
        ("/api/articles/caf%c3%a9", ["api", "articles", "caf%C3%A9"]),
        ("/api/articles/a%20b", ["api", "articles", "a%20b"]),
        ("/", []),
    ],
)
def test_canonical_segments(raw: str, segments: list[str]) -> None:
    assert canonical_segments(raw) == segments


@pytest.mark.parametrize(
    "raw",
    [
        "/api/articles/../tags",
        "/api/articles/%2e%2e/tags",
        "/api/articles/.%2E/tags",
        "/api/./tags",
        "/api/articles/a%2Fb",
        "/api/articles/a%5cb",
        "/api/articles\\..\\tags",
        "/api/articles/%00",
        "/api/articles/%zz",
    ],
)
def test_canonical_segments_refuse_tricks(raw: str) -> None:
    with pytest.raises(BadPath):
        canonical_segments(raw)


def test_overlap_and_domination() -> None:
    slug = RoutePattern.parse("GET /api/articles/:slug")
    feed = RoutePattern.parse("GET /api/articles/feed")
    left = RoutePattern.parse("GET /api/:x/feed")
    assert feed.overlaps(slug) and feed.dominates(slug) and not slug.dominates(feed)
    assert left.overlaps(slug) and not left.dominates(slug) and not slug.dominates(left)
