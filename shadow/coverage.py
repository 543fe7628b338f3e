"""Coverage: what a route's compared responses exercised, so 100% parity says over what.

Each judged comparison keeps a compact summary of the control's cleaned body (``summarize``),
built by ``compare`` in the Mirror's workers, never on the request path (only the short
summary is queued for the store, not the body): the field paths (list
indices as ``[*]``) that held a value other than null, ``""``, ``[]`` or ``{}``, and for each
list path the shortest and longest list seen. ``Coverage`` adds summaries up over a window,
with the statuses the control answered; ``gaps`` names what the traffic never exercised: a
list that was never non-empty (its elements' fields were never compared) or a single status
(errors never compared, or only errors).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from shadow.paths import format_path

MAX_PATHS = 200  # per summary: a huge document keeps its first paths, enough to say "covered"


def summarize(document: Any) -> str | None:
    """Return the compact JSON summary of a cleaned ``{status, headers, body}`` document."""
    if not isinstance(document, dict) or not isinstance(document.get("body"), dict | list):
        return None
    filled: dict[str, None] = {}
    lists: dict[str, list[int]] = {}
    _walk(document["body"], [], filled, lists)
    return json.dumps({"filled": list(filled)[:MAX_PATHS],
                       "lists": dict(list(lists.items())[:MAX_PATHS])}, separators=(",", ":"))


def _walk(value: Any, keys: list[Any], filled: dict[str, None],
          lists: dict[str, list[int]]) -> None:
    if len(filled) >= MAX_PATHS and len(lists) >= MAX_PATHS:
        return
    path = format_path(["body", *keys], generalise=True)
    if isinstance(value, list):
        seen = lists.setdefault(path, [len(value), len(value)])
        seen[0], seen[1] = min(seen[0], len(value)), max(seen[1], len(value))
        for index, item in enumerate(value):
            _walk(item, [*keys, index], filled, lists)
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(item, [*keys, key], filled, lists)
    if _present(value) and keys:
        filled[path] = None


def _present(value: Any) -> bool:
    if value is None:
        return False
    return not (isinstance(value, str | list | dict) and len(value) == 0)


@dataclass
class Coverage:
    """A route's coverage over a window: statuses, fields ever filled, list lengths."""

    statuses: dict[str, int] = field(default_factory=dict)
    filled: set[str] = field(default_factory=set)
    lists: dict[str, list[int]] = field(default_factory=dict)
    summarized: int = 0  # comparisons with a JSON body summary

    def add(self, summary: str | None) -> None:
        """Add one comparison's summary (``summarize``'s text; None adds nothing)."""
        if not summary:
            return
        data = json.loads(summary)
        self.summarized += 1
        self.filled.update(data.get("filled", ()))
        for path, (low, high) in data.get("lists", {}).items():
            seen = self.lists.setdefault(path, [low, high])
            seen[0], seen[1] = min(seen[0], low), max(seen[1], high)

    @property
    def never_filled(self) -> list[str]:
        """Return the list paths that never held an element."""
        return sorted(path for path, (_, high) in self.lists.items() if high == 0)

    @property
    def gaps(self) -> list[str]:
        """Return what the compared traffic never exercised, as short sentences."""
        gaps = []
        if len(self.statuses) == 1:
            gaps.append(f"only status {next(iter(self.statuses))} seen")
        if self.never_filled:
            gaps.append("never a non-empty " + ", ".join(self.never_filled))
        return gaps

    def as_dict(self) -> dict[str, Any]:
        return {
            "statuses": dict(sorted(self.statuses.items())),
            "filled": sorted(self.filled),
            "list_lengths": {path: {"min": low, "max": high}
                             for path, (low, high) in sorted(self.lists.items())},
            "summarized": self.summarized,
            "gaps": self.gaps,
        }
