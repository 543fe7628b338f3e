"""What generated requests are made of: hard text, JSON values, one valid request per operation."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from tests.fuzz.sides import PASSWORD, Live

# Code points where Node 20 and Python 3.13 disagree (lower-case, slug), and other hard text.
UNICODE_SKEW = ("\u1c89", "\ua7cb", "\ua7dc", "\U00010d50", "\U00016ea0", "\u0897", "\u1ad9",
                "\ua7f1", "\U000113bb", "\u0130", "\u03a3", "\u0345", "\u00df", "\ufb01",
                "\u2460", "\u212a", "\u017f", "\u0301", "\ufeff", "\u00a0", "\u2028", "\x00",
                "\ud800", "\U0001f600", "\u1e9e", "\u0149", "\u01c5", "\u24b6")
TEXT = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.sampled_from(UNICODE_SKEW + tuple("aZ09 .@-_Σ")), max_size=12),
    st.sampled_from(["", " ", "\t", "null", "x" * 300, "a@b.co", "A@B.CO", "🙂" * 70]),
)
JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children,
                                                                       max_size=3),
    max_leaves=6,
)


def skewed(text: str) -> bool:
    """Tell whether ``text`` holds a code point the two Unicode versions treat differently."""
    return any(char in text for char in UNICODE_SKEW[:9])


def json_bytes(value: Any, ascii_only: bool) -> bytes:
    text = json.dumps(value, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")


def valid_templates(live: Live) -> list[tuple[str, str, dict | None, str | None]]:
    """One valid request per operation: method, target, body, and who sends it."""
    slug, comment = live.slugs[0], live.comment_ids[0]
    return [
        ("POST", "/api/users", {"user": {"username": "fz", "email": "fz@x.io",
                                         "password": PASSWORD}}, None),
        ("POST", "/api/users/login", {"user": {"email": "ann@example.com",
                                               "password": PASSWORD}}, None),
        ("GET", "/api/user", None, "ann"),
        ("PUT", "/api/user", {"user": {"bio": "b", "image": "i"}}, "cy"),
        ("GET", "/api/profiles/bob", None, "ann"),
        ("POST", "/api/profiles/cy/follow", None, "bob"),
        ("DELETE", "/api/profiles/bob/follow", None, "ann"),
        ("GET", "/api/articles?limit=2&offset=0&tag=dragons", None, None),
        ("GET", "/api/articles/feed?limit=5", None, "ann"),
        ("GET", f"/api/articles/{slug}", None, "bob"),
        ("POST", "/api/articles", {"article": {"title": "T", "description": "d", "body": "b",
                                               "tagList": ["x", " y "]}}, "cy"),
        ("PUT", f"/api/articles/{slug}", {"article": {"title": "New title"}}, "ann"),
        ("DELETE", f"/api/articles/{live.slugs[2]}", None, "bob"),
        ("POST", f"/api/articles/{slug}/favorite", None, "bob"),
        ("DELETE", f"/api/articles/{slug}/favorite", None, "cy"),
        ("GET", f"/api/articles/{slug}/comments", None, None),
        ("POST", f"/api/articles/{slug}/comments", {"comment": {"body": "c"}}, "ann"),
        ("DELETE", f"/api/articles/{slug}/comments/{comment}", None, "bob"),
        ("GET", "/api/tags", None, None),
    ]
