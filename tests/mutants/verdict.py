"""Judge one run from the parity store's rows: caught, caught elsewhere, or missed.

Input: the run's comparisons (``id``, ``route``, ``outcome``, ``control_ms``, ``candidate_ms``)
and differences (``comparison_id``, ``route``, ``path``), as stored by shadow/store.py. A
candidate error counts as a finding at path ``<candidate_error>`` (it carries no paths).
Findings the unmodified backend also produced (same route and path) are the workload's noise
and never count for or against a mutant.
"""

from __future__ import annotations

import fnmatch
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tests.mutants.catalog import CANDIDATE_ERROR, ESCAPED_WRITE, Mutant

CAUGHT = "caught"
ELSEWHERE = "caught elsewhere"
MISSED = "missed"
STALE = "STALE"
FAILED = "run failed"
FINDING_OUTCOMES = ("mismatch", "candidate_error", "escaped_write")


@dataclass
class Verdict:
    verdict: str
    route: str = ""
    path: str = ""
    comparisons_needed: int | None = None
    comparisons: int = 0
    mismatches: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    findings: list[tuple[str, str]] = field(default_factory=list)
    latency_ratio: float | None = None
    note: str = ""


def path_matches(stored: str, expected: str) -> bool:
    """Tell whether ``stored`` is ``expected`` or a path below it."""
    return stored == expected or (
        stored.startswith(expected) and stored[len(expected)] in ".[")


def route_matches(route: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(route, pattern) for pattern in patterns)


def findings(comparisons: Sequence[Mapping[str, Any]], differences: Sequence[Mapping[str, Any]]
             ) -> list[tuple[int, str, str]]:
    """Return (comparison id, route, path) for every mismatch path and candidate error."""
    paths: dict[int, list[str]] = {}
    for row in differences:
        paths.setdefault(row["comparison_id"], []).append(row["path"])
    found = []
    for row in sorted(comparisons, key=lambda r: r["id"]):
        if row["outcome"] == "candidate_error":
            found.append((row["id"], row["route"], CANDIDATE_ERROR))
        elif row["outcome"] == "escaped_write":
            found.append((row["id"], row["route"], ESCAPED_WRITE))
        elif row["outcome"] == "mismatch":
            found += [(row["id"], row["route"], p) for p in paths.get(row["id"], ["body"])]
    return found


def classify(mutant: Mutant | None, comparisons: Sequence[Mapping[str, Any]],
             differences: Sequence[Mapping[str, Any]],
             noise: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
             baseline_latency: Mapping[str, float] | None = None) -> Verdict:
    """Classify a run of ``mutant`` (None: the unmodified backend) from its store rows."""
    ordered = sorted(comparisons, key=lambda r: r["id"])
    outcomes: dict[str, int] = {}
    for row in ordered:
        outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
    found = [(cid, route, path) for cid, route, path in findings(ordered, differences)
             if (route, path) not in noise]
    position = {row["id"]: n for n, row in enumerate(ordered, start=1)}
    distinct = list(dict.fromkeys((route, path) for _, route, path in found))
    verdict = Verdict(MISSED, comparisons=len(ordered), outcomes=outcomes, findings=distinct,
                      mismatches=len({cid for cid, _, _ in found}))
    if mutant is None:
        verdict.verdict = "baseline"
        if found:
            cid, verdict.route, verdict.path = found[0]
            verdict.comparisons_needed = position[cid]
        return verdict
    verdict.latency_ratio = latency_ratio(ordered, mutant.routes, baseline_latency)
    for cid, route, path in found:
        if route_matches(route, mutant.routes) and any(
                path_matches(path, p) for p in mutant.paths):
            verdict.verdict, verdict.route, verdict.path = CAUGHT, route, path
            verdict.comparisons_needed = position[cid]
            return verdict
    if found:
        cid, verdict.route, verdict.path = found[0]
        verdict.verdict, verdict.comparisons_needed = ELSEWHERE, position[cid]
    return verdict


def median_candidate_ratio(rows: Iterable[Mapping[str, Any]], patterns: Iterable[str]
                           ) -> dict[str, float]:
    """Return, per route matching ``patterns``, the median of candidate_ms / control_ms."""
    ratios: dict[str, list[float]] = {}
    for row in rows:
        if (row.get("candidate_ms") and row.get("control_ms")
                and route_matches(row["route"], patterns)):
            ratios.setdefault(row["route"], []).append(row["candidate_ms"] / row["control_ms"])
    return {route: statistics.median(values) for route, values in ratios.items()}


def latency_ratio(rows: Sequence[Mapping[str, Any]], patterns: Iterable[str],
                  baseline: Mapping[str, float] | None) -> float | None:
    """How much slower than in the baseline the candidate got on the mutant's routes (max)."""
    if not baseline:
        return None
    current = median_candidate_ratio(rows, patterns)
    changes = [value / baseline[route] for route, value in current.items()
               if baseline.get(route)]
    return round(max(changes), 2) if changes else None
