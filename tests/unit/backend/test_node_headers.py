"""Repeated request headers merged as Node's http module merges them, checked with Node."""

from __future__ import annotations

import random

from backend.node_headers import MAX_HEADER_LINES, as_node_reads
from tests.support.node_oracle import ask_each

NAMES = ["Authorization", "AUTHORIZATION", "authorization", "Content-Type", "Host", "Cookie",
         "cookie", "X-Custom", "x-custom", "Accept", "If-None-Match", "Content-Encoding",
         "Cache-Control", "Set-Cookie", "User-Agent", "Access-Control-Request-Headers",
         "Transfer-Encoding", "Referer", "X-Strangler-Dry-Run"]


def as_dict(lines: list[tuple[str, str]]) -> dict[str, object]:
    """What ``req.headers`` holds for merged lines (names lower-cased, Set-Cookie a list)."""
    headers: dict[str, object] = {}
    for name, value in lines:
        field = name.lower()
        if field == "set-cookie":
            headers.setdefault(field, []).append(value)
        else:
            assert field not in headers, f"{field} appears twice after merging"
            headers[field] = value
    return headers


def test_repeated_headers_merge_as_node_does() -> None:
    generator = random.Random(99)
    cases = [[(generator.choice(NAMES), generator.choice(["a", "b", "Token x", ""]))
              for _ in range(generator.randrange(1, 8))] for _ in range(500)]
    node = ask_each("requestHeaders", cases)
    assert [as_dict(as_node_reads(lines)) for lines in cases] == node


def test_lines_past_node_maximum_are_ignored() -> None:
    lines = [(f"X-{n}", "v") for n in range(MAX_HEADER_LINES)] + [("Authorization", "Token x")]
    assert "Authorization" not in dict(as_node_reads(lines))
