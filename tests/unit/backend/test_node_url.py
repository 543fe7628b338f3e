"""Request targets read as Express reads them, compared with legacy's real parseurl."""

from __future__ import annotations

import random

import pytest

from backend import node_url
from tests.support.node_oracle import ask_each

TARGETS = [
    "/api/tags", "/api/tags?x=1", "/api/tags#", "/api/tags#frag?x=1", "/api/tags?x#y",
    "/api/profiles/bob/follow#", "/API#/tags", "/api\\tags#", "/api\\tags?q\\#", "/a'b#c",
    "/a b#", "/{x}|^`#", "//h/api/tags", "//u@h/api/tags", "//u@h/api/tags#x", "/@#",
    "http://h/api/tags", "HTTP://h/api/tags", "http://h", "http://h?x=1", "http://u@h/api/tags",
    "http://u%ZZ@h/api/tags", "http://u%E6%97%A5@h/x", "http://h:80/api/tags",
    "http://[::1]/api/tags", "http://[::1]", "http://[x]y/z", "http://h\\api\\tags",
    "ftp://h/api/tags", "http://xn--a/api/tags", "http://XN--BCHER-KVA/p",
    "http://xn--ab--cd/p", "http://xn--bcher-kva.de/p", "http://a[b/p", "http://a:b:c/p",
    "http://h#x", "http://h/#x?y",
    "http://" + "a" * 300 + "/p", "http://a@b@c/p", "http://a@b?@c/p", "https://h/a?b#c",
    "wss://h", "x://h/y", "javascript://h/y", "mailto:x", "*", "api/tags", "?x=1", "#x", "",
    "/", "/?", "/#", "http://h:/p", "http://h:abc/p", "http://:80/p", "http://@/p",
]


@pytest.fixture(scope="module")
def generated_targets() -> list[str]:
    """Random targets from the characters url.parse treats specially (fixed seed)."""
    generator = random.Random(20261202)
    pieces = ["/", "//", "\\", "#", "?", "@", "%", "%ZZ", "%41", ":", "[", "]", "'", "a", "B",
              "api", "tags", "http://", "HTTP:", "xn--", "h", ".", "{", "|", "^", "`", "<",
              "\"", " ", "\t", "80", "=", "&", "+", "~"]
    return ["".join(generator.choice(pieces) for _ in range(generator.randrange(1, 9)))
            for _ in range(3000)]


def ours(url: str) -> dict[str, object]:
    try:
        target = node_url.parse(url)
    except node_url.InvalidUrl:
        return {"throws": True}
    return {"pathname": target.pathname, "query": target.query}


def legacy(answer: dict[str, object]) -> dict[str, object]:
    return {"throws": True} if "throws" in answer else answer


def test_targets_parse_as_parseurl_reads_them(generated_targets: list[str]) -> None:
    urls = TARGETS + generated_targets
    different = [(url, legacy(answer), ours(url)) for url, answer in
                 zip(urls, ask_each("target", urls), strict=True)
                 if ours(url) != legacy(answer)]
    assert not different, f"{len(different)} targets differ: {different[:10]}"


@pytest.mark.parametrize(
    "url, prefix, inner",
    [("/api/tags?x", 4, "/tags?x"), ("/api/", 5, "/"), ("/api", 4, "/"), ("/api?x", 4, "/?x"),
     ("http://h/api/tags", 4, "http://h/tags"), ("http://h", 0, "/http://h"),
     ("/api\\tags#", 4, "/\\tags#")],
)
def test_a_mounted_router_sees_the_target_without_its_prefix(url: str, prefix: int,
                                                             inner: str) -> None:
    assert node_url.unmount(url, prefix) == inner
