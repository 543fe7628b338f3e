"""The dashboard's window on the parity store: shadow.report's figures, shaped for the pages.

Every parity figure is shadow.report's (``route_reports`` for the overview; ``route_report``,
``timeline``, ``latest_mismatches`` and ``noise_candidates`` for one route's page, in a
number of queries that does not grow with the number of routes). Nothing here queries
shadow's tables. A route's traffic is every request the proxy served on it (proxy.traffic's
counts), not only the shadowed ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.database import db
from proxy import traffic as route_traffic
from proxy.table import UNMATCHED_ROUTE
from shadow.groups import DiffGroup
from shadow.report import (
    Point,
    RouteReport,
    Sample,
    diff_groups,
    latest_mismatches,
    noise_candidates,
    route_report,
    route_reports,
    timeline,
)

BUCKETS = 24


@dataclass(frozen=True)
class Figures:
    """A route's numbers over a window, from shadow's RouteReport (latencies in ms)."""

    report: RouteReport
    served: int = 0  # every request the proxy served on the route (proxy.traffic)

    @classmethod
    def empty(cls, route: str, served: int = 0) -> Figures:
        return cls(RouteReport(route), served)

    @property
    def traffic(self) -> int:
        """Return every request the proxy served on the route in the window."""
        return self.served

    @property
    def shadowed(self) -> int:
        """Return the shadowed requests seen, skipped ones included."""
        return self.report.traffic

    @property
    def compared(self) -> int:
        return self.report.compared

    @property
    def parity(self) -> float | None:
        return self.report.match_pct

    @property
    def candidate_errors(self) -> int:
        return self.report.candidate_failures

    @property
    def error_rate(self) -> float | None:
        return self.report.failure_pct

    def as_dict(self) -> dict[str, Any]:
        return {**self.report.as_dict(), "traffic": self.traffic, "shadowed": self.shadowed,
                "candidate_errors": self.candidate_errors, "error_rate": self.error_rate}


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
    timeline: list[Point]  # BUCKETS slices of [start, end)
    mismatches: list[Mismatch]
    noise: list[tuple[str, int]]
    groups: list[DiffGroup]  # mismatches by (paths, kinds): one line each (shadow.groups)
    start: datetime
    end: datetime


def figures_by_route(window: timedelta) -> dict[str, Figures]:
    """Return the figures of every route with comparisons or traffic in the last ``window``;
    requests no route matched are counted under UNMATCHED_ROUTE."""
    since = datetime.now(UTC) - window
    served = served_by_route(since)
    reports = {report.route: report for report in route_reports(db.engine, since)}
    return {route: Figures(reports.get(route, RouteReport(route)), served.get(route, 0))
            for route in set(reports) | set(served)}


def served_by_route(since: datetime) -> dict[str, int]:
    """Return the requests the proxy served per route since ``since`` (whole minutes)."""
    served: dict[str, int] = {}
    for (route, matched), n in route_traffic.served(db.engine, since).items():
        name = route if matched else UNMATCHED_ROUTE
        served[name] = served.get(name, 0) + n
    return served


def route_detail(route: str, window: timedelta, *, top: int = 10) -> RouteDetail:
    """Return one route's figures, parity over time, sampled mismatches and noise."""
    now = datetime.now(UTC)
    report = route_report(db.engine, route, now - window, top=top)
    served = served_by_route(now - window).get(route, 0)
    mismatches = [
        Mismatch(s, _document(s.control_status, s.control_body),
                 _document(s.candidate_status, s.candidate_body))
        for s in latest_mismatches(db.engine, route, limit=5)
    ]
    noise = [(n.path, n.count) for n in noise_candidates(db.engine, route)]
    points = timeline(db.engine, route, now - window, now, BUCKETS)
    groups = diff_groups(db.engine, now - window, route=route, limit=20)
    return RouteDetail(Figures(report, served), points, mismatches, noise, groups,
                       now - window, now)


def _document(status: int | None, body: str | None) -> dict[str, Any]:
    """Rebuild the stored (redacted, canonical JSON) body into a ``{status, body}`` document."""
    if body is None:
        return {"status": status}
    try:
        decoded: Any = json.loads(body)
    except ValueError:
        decoded = body  # cut at the store's size limit: show the text as it is
    return {"status": status, "body": decoded}
