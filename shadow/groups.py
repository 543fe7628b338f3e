"""Diff groups: mismatches grouped by (route, set of differing field paths, kinds of difference).

One bug that differs on the same fields in 10,000 requests is one group with a count, first
and last seen and a few sample ids, so a fix that clears it shows as the group going quiet.
Paths are generalised (list indexes become ``[*]``) as the parity store keeps them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shadow.observation import Outcome, Result

SAMPLES = 3
_INDEX = re.compile(r"\[\d+\]")


def general(path: str) -> str:
    """Return a field path with its list indexes generalised (``body.a[3]`` -> ``body.a[*]``)."""
    return _INDEX.sub("[*]", path)


@dataclass
class DiffGroup:
    """Mismatches of one route that differ on the same paths in the same ways."""

    route: str
    paths: tuple[str, ...]
    kinds: tuple[str, ...]
    count: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    samples: list[str] = field(default_factory=list)

    def add(self, seen: datetime | None, sample: str | None) -> None:
        """Count one more mismatch of this group."""
        self.count += 1
        if seen is not None:
            self.first_seen = seen if self.first_seen is None else min(self.first_seen, seen)
            self.last_seen = seen if self.last_seen is None else max(self.last_seen, seen)
        if sample is not None and len(self.samples) < SAMPLES and sample not in self.samples:
            self.samples.append(sample)

    def describe(self) -> str:
        """Return the group as one line: route; paths; kinds."""
        return f"{self.route}; {', '.join(self.paths) or '-'}; {', '.join(self.kinds) or '-'}"

    def as_dict(self) -> dict[str, Any]:
        return {"route": self.route, "paths": list(self.paths), "kinds": list(self.kinds),
                "count": self.count,
                "first_seen": self.first_seen.isoformat() if self.first_seen else None,
                "last_seen": self.last_seen.isoformat() if self.last_seen else None,
                "samples": list(self.samples)}


def key_of(route: str, differences: Iterable[Any]) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """Return a mismatch's group key from its differences (Difference objects or dicts)."""
    paths, kinds = set(), set()
    for d in differences:
        path, kind = (d["path"], d["kind"]) if isinstance(d, dict) else (d.path, str(d.kind))
        paths.add(general(path))
        kinds.add(str(kind))
    return route, tuple(sorted(paths)), tuple(sorted(kinds))


def group_results(items: Iterable[tuple[str, Result, datetime | None, str | None]]
                  ) -> list[DiffGroup]:
    """Group the mismatches among (route, result, seen, sample id) items, biggest first."""
    groups: dict[tuple[str, tuple[str, ...], tuple[str, ...]], DiffGroup] = {}
    for route, result, seen, sample in items:
        if result.outcome is not Outcome.MISMATCH:
            continue
        key = key_of(route, result.differences)
        groups.setdefault(key, DiffGroup(*key)).add(seen, sample)
    return sorted(groups.values(), key=lambda g: (-g.count, g.route, g.paths))
