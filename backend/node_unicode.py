"""Unicode text rules computed exactly as legacy's Node runtime computes them.

Python and Node ship different Unicode versions (Python 3.13: 15.1; Node 20: ICU 78, Unicode
17), so ``str.lower()`` and ``unicodedata`` disagree with legacy on some code points, and a
value stored by one side would not be found by the other. The rules here read a table taken
from Node itself (``node_unicode.json``, written by ``tools/node-unicode-table``):

- ``to_lower_case``: JavaScript's ``String.prototype.toLowerCase`` (legacy lower-cases emails),
  including the one context rule of the root locale, Final_Sigma, with ICU's classes.
- ``slug_text``: legacy's slug pipeline before trimming (NFKD, ``\\p{Mn}`` removed, lower-cased,
  runs outside ``[a-z0-9]`` replaced by ``-``).

``tests/unit/backend/test_node_unicode.py`` compares both with the real Node over every code
point, so a runtime upgrade on either side fails the suite until the table is regenerated.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_TABLE = json.loads(Path(__file__).with_name("node_unicode.json").read_text(encoding="utf-8"))
RUNTIME = {key: _TABLE[key] for key in ("node", "icu", "unicode")}

_LOWER = {int(cp): text for cp, text in _TABLE["lower"].items()}
_SLUG_PARTS = {int(cp): text for cp, text in _TABLE["slug"].items()}
_SEPARATOR_RUNS = re.compile(r"[^a-z0-9]+")
_CAPITAL_SIGMA = "\u03a3"


def _code_points(ranges: list[list[int]]) -> frozenset[str]:
    """Return the characters of sorted, inclusive ``[start, end]`` ranges."""
    return frozenset(chr(code) for start, end in ranges for code in range(start, end + 1))


_CASED = _code_points(_TABLE["cased"])
_CASE_IGNORABLE = _code_points(_TABLE["case_ignorable"])


def to_lower_case(text: str) -> str:
    """Return ``text.toLowerCase()`` as legacy's Node computes it."""
    if _CAPITAL_SIGMA not in text:
        return text.translate(_LOWER)
    pieces = text.split(_CAPITAL_SIGMA)
    out = [pieces[0].translate(_LOWER)]
    index = len(pieces[0])
    for piece in pieces[1:]:
        out.append(_lower_sigma(text, index))
        out.append(piece.translate(_LOWER))
        index += 1 + len(piece)
    return "".join(out)


def _lower_sigma(text: str, index: int) -> str:
    """Return final sigma when a cased letter comes before ``index`` and none after it."""
    before = index - 1
    while before >= 0 and text[before] in _CASE_IGNORABLE:
        before -= 1
    if before < 0 or text[before] not in _CASED:
        return "\u03c3"
    after = index + 1
    while after < len(text) and text[after] in _CASE_IGNORABLE:
        after += 1
    return "\u03c3" if after < len(text) and text[after] in _CASED else "\u03c2"


class _SlugParts(dict[int, str]):
    """Each code point's slug text; anything absent from the table separates words."""

    def __missing__(self, code: int) -> str:
        return "-"


_SLUG = _SlugParts(_SLUG_PARTS)


def slug_text(text: str) -> str:
    """Return ``text`` through legacy's slug pipeline, before trimming and truncation."""
    return _SEPARATOR_RUNS.sub("-", text.translate(_SLUG))
