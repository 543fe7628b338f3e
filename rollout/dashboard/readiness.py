"""The overview's rows: each route's state and figures, its readiness to flip, the order.

"Readiness" is the dashboard's judgement on a whole route; a "verdict" is shadow's word for
the outcome of one comparison (shadow.observation).

A route is ready to flip when its parity is at least ``READY_PARITY`` percent over at least
``READY_COMPARISONS`` comparisons, the candidate never failed (no candidate errors, no
timeouts) in the window and the candidate's p99 latency is at most ``READY_LATENCY_RATIO``
times the control's. Routes that need attention come first: candidate failures, then parity
below the threshold, then a candidate too slow, then routes still gathering comparisons, then
ready ones, then routes nobody compares.

A compared route whose traffic left gaps (shadow.coverage: only one status seen, or a list
never non-empty) carries a "not covered" warning beside its readiness: parity over traffic
that never had a non-empty feed says nothing about feeds. It is a warning, not a gate.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.schema import RouteEntry
from rollout.dashboard.parity import Figures

ATTENTION = {"failing": 0, "differs": 1, "slower": 2, "gathering": 3, "ready": 4,
             "not compared": 5}


@dataclass(frozen=True)
class Thresholds:
    parity: float  # percent
    comparisons: int
    latency_ratio: float  # candidate p99 / control p99 at most this


@dataclass(frozen=True)
class RouteRow:
    """One line of the overview."""

    route: str
    state: str
    figures: Figures
    readiness: str  # a key of ATTENTION
    reason: str
    warning: str = ""  # coverage_warning's, "" when none

    @property
    def ready(self) -> bool:
        return self.readiness == "ready"


def judge(figures: Figures, compared: bool, limits: Thresholds) -> tuple[str, str]:
    """Return a route's readiness (a key of ATTENTION) and a short sentence saying why."""
    if figures.candidate_errors:
        return "failing", f"{figures.candidate_errors} candidate errors or timeouts"
    if figures.compared == 0:
        return ("gathering", "no comparisons yet") if compared else (
            "not compared", "not shadowed")
    parity = figures.parity or 0.0
    if parity < limits.parity:
        return "differs", f"parity {parity:.2f}% < {limits.parity:g}%"
    report = figures.report
    ratio = report.latency_ratio
    if ratio is not None and ratio > limits.latency_ratio:
        return "slower", (f"candidate p99 {report.candidate_p99:.1f} ms > {limits.latency_ratio:g}"
                          f" x control p99 {report.control_p99:.1f} ms")
    if figures.compared < limits.comparisons:
        return "gathering", f"{figures.compared} of {limits.comparisons} comparisons"
    speed = "" if ratio is None else f", candidate p99 {ratio:g}x the control's"
    return "ready", f"parity {parity:.2f}% over {figures.compared} comparisons{speed}"


def coverage_warning(figures: Figures) -> str:
    """Return "not covered: ..." naming what the compared traffic never exercised, or ""."""
    if figures.compared == 0:
        return ""
    gaps = figures.report.coverage.gaps
    return "not covered: " + "; ".join(gaps) if gaps else ""


def overview_rows(
    states: dict[str, tuple[str, RouteEntry | None]],
    figures: dict[str, Figures],
    limits: Thresholds,
    unlisted: str = "unlisted",
) -> list[RouteRow]:
    """Join routes.yaml's routes with the figures of every route seen, sorted by attention.

    A route with figures but no entry in routes.yaml shows the ``unlisted`` state.
    """
    rows = []
    for route in sorted(set(states) | set(figures)):
        state, entry = states.get(route, (unlisted, None))
        seen = figures.get(route, Figures.empty(route))
        shadowed = entry is not None and entry.shadow_side is not None
        readiness, reason = judge(seen, shadowed, limits)
        rows.append(RouteRow(route, state, seen, readiness, reason, coverage_warning(seen)))
    rows.sort(key=lambda r: (ATTENTION[r.readiness], r.figures.parity or 0.0, r.route))
    return rows
