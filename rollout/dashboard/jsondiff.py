"""Render control and candidate documents side by side, marking the lines that differ.

Each document is pretty-printed line by line; every line knows the field path it shows
(``body.user.email``, in shadow's path syntax), so the lines at or below a differing path are
highlighted and carry the path as a tooltip.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from shadow.paths import format_path

INDENT = "  "


@dataclass(frozen=True)
class Line:
    """One line of a pretty-printed document and the field path it belongs to."""

    text: str
    path: str
    differs: bool


def _lines(value: Any, keys: list[Any], depth: int, lead: str, tail: str) -> Iterator[tuple]:
    pad = INDENT * depth
    path = format_path(keys)
    if isinstance(value, dict) and value:
        yield f"{pad}{lead}{{", path
        items = list(value.items())
        for i, (key, item) in enumerate(items):
            comma = "," if i < len(items) - 1 else ""
            yield from _lines(item, [*keys, key], depth + 1, f"{json.dumps(key)}: ", comma)
        yield f"{pad}}}{tail}", path
    elif isinstance(value, list) and value:
        yield f"{pad}{lead}[", path
        for i, item in enumerate(value):
            comma = "," if i < len(value) - 1 else ""
            yield from _lines(item, [*keys, i], depth + 1, "", comma)
        yield f"{pad}]{tail}", path
    else:
        yield f"{pad}{lead}{json.dumps(value, ensure_ascii=False)}{tail}", path


def _under(path: str, differing: Iterable[str]) -> bool:
    return any(
        path == d or path.startswith(d + ".") or path.startswith(d + "[") for d in differing
    )


def render(document: Any, differing: Sequence[str]) -> list[Line]:
    """Return the lines of ``document`` (a cleaned ``{status, headers, body}``), marked."""
    if not isinstance(document, dict):
        return [Line(text, path, _under(path, differing))
                for text, path in _lines(document, ["body"], 0, "", "")]
    lines: list[Line] = []
    for root in ("status", "headers", "body"):
        if root not in document:
            continue
        for text, path in _lines(document[root], [root], 0, f"{root}: ", ""):
            lines.append(Line(text, path, _under(path, differing)))
    return lines


def side_by_side(control: Any, candidate: Any, differing: Sequence[str]) -> dict[str, list[Line]]:
    """Return both documents' lines for the template's two columns."""
    return {"control": render(control, differing), "candidate": render(candidate, differing)}
