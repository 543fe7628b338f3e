"""The backend's Unicode rules against legacy's real Node, over every code point.

Node and Python ship different Unicode versions; the backend reads a table generated from
Node (``tools/node-unicode-table``). These tests run the Node that runs legacy once and compare
every code point, so upgrading either runtime fails here until the table is regenerated.
"""

from __future__ import annotations

import pytest

from backend.node_unicode import RUNTIME, to_lower_case
from backend.services.slugs import slugify
from backend.validation import js_trim
from tests.support.node_oracle import ask, ask_each, ask_one

EVERY_CODE_POINT = [chr(code) for code in range(0x110000)]
SIGMA = "\u03a3"
# Final_Sigma depends on the class of the characters around a capital sigma: each code point
# goes before and after it, alone and with a cased letter beyond it.
LOWER_CONTEXTS = [("", ""), ("", SIGMA), ("A", SIGMA), (f"A{SIGMA}", "A"), (f"A{SIGMA}", "")]


@pytest.fixture(scope="module")
def node() -> dict:
    """Node's answers for every code point, from one process."""
    runtime, lowered, slugs, trims = ask([
        ("runtime", None), ("lowerEveryCodePoint", LOWER_CONTEXTS),
        ("slugifyEveryCodePoint", None), ("trimsEveryCodePoint", None),
    ])
    return {"runtime": runtime, "lower": lowered, "slug": slugs, "trim": trims}


def test_the_table_comes_from_the_node_that_runs_legacy(node: dict) -> None:
    runtime = node["runtime"]
    assert (RUNTIME["icu"], RUNTIME["unicode"]) == (runtime["icu"], runtime["unicode"]), (
        "Node's ICU or Unicode changed: run tools/node-unicode-table"
    )


def test_lower_case_of_every_code_point_in_every_sigma_context(node: dict) -> None:
    for (prefix, suffix), lowered in zip(LOWER_CONTEXTS, node["lower"], strict=True):
        text = "\n".join(prefix + char + suffix for char in EVERY_CODE_POINT)
        ours = to_lower_case(text)
        if ours != lowered:
            ours_lines, node_lines = ours.split("\n"), lowered.split("\n")
            wrong = [f"U+{code:04X}: node {node_lines[code]!r}, backend {ours_lines[code]!r}"
                     for code in range(len(EVERY_CODE_POINT))
                     if ours_lines[code] != node_lines[code]]
            pytest.fail(f"context {prefix!r}+c+{suffix!r}: {len(wrong)} differ: {wrong[:20]}")


def test_slug_of_every_code_point_alone_and_between_letters(node: dict) -> None:
    alone, between = node["slug"]["alone"], node["slug"]["between"]
    wrong = [
        f"U+{code:04X}"
        for code, char in enumerate(EVERY_CODE_POINT)
        if slugify(char) != alone[code] or slugify(f"a{char}b") != between[code]
    ]
    assert not wrong, f"{len(wrong)} code points slug differently: {wrong[:20]}"


def test_trim_of_every_code_point(node: dict) -> None:
    ours = "".join("1" if js_trim(char) == "" else "0" for char in EVERY_CODE_POINT)
    wrong = [f"U+{code:04X}" for code in range(len(ours)) if ours[code] != node["trim"][code]]
    assert not wrong, f"trim() differs on {wrong}"


TITLES = [
    "Café Ünïcode: 日本語!", "  --Hello,   World--  ", "x" * 301, "-" * 50 + "Z",
    "a" * 299 + "-b", "a" * 299 + "\u0301b", "İstanbul", "ΣΑΣ", "ﬁnal ①", "a\u1ad9b",
    "\ud800x", "\U0001d400\U0001d7ce", "Ǆ", "⒜⒝", "",
]


def test_slugify_matches_legacy_on_whole_titles() -> None:
    assert [slugify(title) for title in TITLES] == ask_each("slugify", TITLES)


@pytest.mark.parametrize("text", ["ΣΑΣ ΣΑΣ.", "aΣ", "Σ", "a\u0345Σ", "aΣ\u0345b", "\ua7cbx@b.co",
                                  "İ", "A\u00adΣ\u00ad", "\U00010400Σ"])
def test_lower_case_matches_legacy_on_words(text: str) -> None:
    assert to_lower_case(text) == ask_one("lower", text)
