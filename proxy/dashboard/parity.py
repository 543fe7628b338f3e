"""The dashboard's window on the parity store, through shadow's reporting queries.

The figures are shadow.report's (``route_reports``, ``latest_mismatches``,
``noise_candidates``); this module only shapes them for the pages. Parity over time is the
one figure shadow.report has no query for: ``timeline`` counts matches and mismatches per
time bucket on shadow's comparisons table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from backend.database import db
from shadow import schema
from shadow.observation import Outcome
from shadow.report import RouteReport, Sample, latest_mismatches, noise_candidates, route_reports

CANDIDATE_FAILURES = (Outcome.CANDIDATE_ERROR, Outcome.TIMEOUT)
BUCKETS = 24


@dataclass(frozen=True)
class Figures:
    """A route's numbers over a window, from shadow's RouteReport (latencies in ms)."""

    report: RouteReport

    @classmethod
    def empty(cls, route: str) -> Figures:
        return cls(RouteReport(route))

    @property
    def traffic(self) -> int:
        """Return the shadowed requests seen, skipped ones included."""
        return sum(self.report.outcomes.values())

    @property
    def compared(self) -> int:
        return self.report.compared

    @property
    def parity(self) -> float | None:
        return self.report.match_pct

    @property
    def candidate_errors(self) -> int:
        return sum(self.report.outcomes.get(str(o), 0) for o in CANDIDATE_FAILURES)

    @property
    def error_rate(self) -> float | None:
        return 100.0 * self.candidate_errors / self.compared if self.compared else None

    def as_dict(self) -> dict[str, Any]:
        return {**self.report.as_dict(), "traffic": self.traffic,
                "candidate_errors": self.candidate_errors, "error_rate": self.error_rate}


@dataclass(frozen=True)
class Point:
    """Parity in one time bucket."""

    start: datetime
    compared: int
    parity: float | None


@dataclass(frozen=True)
class Mismatch:
    """A sampled mismatch with both documents decoded for the side-by-side diff."""

    sample: Sample
    control: Any
    candidate: Any


@dataclass(frozen=True)
class RouteDetail:
    """Everything the route page shows from the parity store."""

    figures: Figures
    timeline: list[Point]
    mismatches: list[Mismatch]
    noise: list[tuple[str, int]]


def figures_by_route(window: timedelta) -> dict[str, Figures]:
    """Return the figures of every route with comparisons in the last ``window``."""
    since = datetime.now(UTC) - window
    return {report.route: Figures(report) for report in route_reports(db.engine, since)}


def route_detail(route: str, window: timedelta, *, top: int = 10) -> RouteDetail:
    """Return one route's figures, parity over time, sampled mismatches and noise."""
    now = datetime.now(UTC)
    reports = route_reports(db.engine, now - window, top=top)
    report = next((r for r in reports if r.route == route), RouteReport(route))
    mismatches = [
        Mismatch(s, _document(s.control_status, s.control_body),
                 _document(s.candidate_status, s.candidate_body))
        for s in latest_mismatches(db.engine, route, limit=5)
    ]
    noise = [(n.path, n.count) for n in noise_candidates(db.engine, route)]
    return RouteDetail(Figures(report), timeline(route, now - window, now), mismatches, noise)


def timeline(route: str, start: datetime, end: datetime, buckets: int = BUCKETS) -> list[Point]:
    """Return matches / (matches + mismatches) per bucket, as shadow.report defines parity."""
    table = schema.comparisons
    step = (end - start) / buckets
    judged = (str(Outcome.MATCH), str(Outcome.MISMATCH))
    points = []
    with db.engine.connect() as connection:
        for i in range(buckets):
            low, high = start + i * step, start + (i + 1) * step
            counts: dict[str, int] = dict(connection.execute(
                sa.select(table.c.outcome, sa.func.count())
                .where(table.c.route == route, table.c.outcome.in_(judged),
                       table.c.compared_at >= low, table.c.compared_at < high)
                .group_by(table.c.outcome)
            ).all())
            match, total = counts.get(judged[0], 0), sum(counts.values())
            points.append(Point(low, total, 100.0 * match / total if total else None))
    return points


def _document(status: int | None, body: str | None) -> dict[str, Any]:
    """Rebuild the stored (redacted, canonical JSON) body into a ``{status, body}`` document."""
    if body is None:
        return {"status": status}
    try:
        decoded: Any = json.loads(body)
    except ValueError:
        decoded = body  # cut at the store's size limit: show the text as it is
    return {"status": status, "body": decoded}
