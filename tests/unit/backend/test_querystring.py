"""Query strings read as Express 5 reads them (node:querystring), compared with Node's."""

from __future__ import annotations

import random

from backend.querystring import MAX_KEYS, parse
from tests.support.node_oracle import ask_each

QUERIES = [
    "", "a", "a=", "=a", "&", "&&a=1&&", "a=1&a=2&a=3", "a=1&b=2&a", "a+b=c+d", "a%20b=%41",
    "limit=0&offset=1&offset=1", "tag=%FF%FE", "tag=%E6%97%A5%E6%9C%AC", "tag=%ED%A0%80",
    "tag=%ZZ", "tag=%", "tag=%4", "tag=a%4", "%41%42=x%ZZ%", "%=%", "a==b", "a=b=c",
    "tag=%E0%A4%A", "tag=%C3%28", "tag=%F0%9F%98", "k%2=v", "+=+", "a[b]=c", "a.b=c",
    "__proto__=1&constructor=2&toString=3", "&".join(f"k{n}=v" for n in range(1005)),
    "&".join(["x"] * 999 + ["limit=5"]), "&" * 999 + "limit=5", "&" * 1000 + "limit=5",
    "tag=" + "%41" * 50, "a=%2B%25&b=%%41",
]


def random_queries(count: int) -> list[str]:
    generator = random.Random(4242)
    pieces = ["a", "tag", "limit", "=", "&", "%", "%4", "%41", "%E6", "%97", "%A5", "%FF",
              "%ZZ", "+", "1", "%2", "%C3", "%A9", "%ED%A0%80", "x"]
    return ["".join(generator.choice(pieces) for _ in range(generator.randrange(12)))
            for _ in range(count)]


def test_queries_parse_as_node_querystring_does() -> None:
    queries = QUERIES + random_queries(4000)
    different = [(query, node, parse(query)) for query, node in
                 zip(queries, ask_each("querystring", queries), strict=True)
                 if parse(query) != node]
    assert not different, f"{len(different)} differ: {different[:5]}"


def test_reading_stops_after_a_thousand_pairs() -> None:
    query = parse("&".join(f"k{n}=v" for n in range(MAX_KEYS + 5)) + "&limit=0")
    assert len(query) == MAX_KEYS and "limit" not in query
