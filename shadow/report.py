"""Reporting queries over the parity store, for ``parity`` commands and the dashboard.

Every parity figure is computed here; the dashboard and the CLI only present them.
``compared`` counts requests whose candidate was actually tried (match, mismatch, ignored,
candidate_error, escaped_write, timeout, concurrent_write); skipped_unsafe and
skipped_overload are counted beside it. ``concurrent_write`` (a difference explained by another
write racing the comparison, shadow.concurrency) is neither a match nor a mismatch: it is its
own figure in ``outcomes``, outside ``match_pct``.
``traffic`` counts every shadowed request, skipped ones included. ``match_pct`` is
matches / (matches + mismatches), None when there were neither; ``timeline`` gives the same
figure per time bucket. ``candidate_failures`` are candidate errors, escaped writes and timeouts.
Latency percentiles are nearest-rank, in milliseconds, over every comparison of the window
that timed the side (``lag``: queued comparisons, the request's arrival to its comparison);
``skipped_pct`` is the share of the traffic shed (skipped_overload: a cap, or the queue down or
over its limits), so a shed comparison is never read as a match; ``latency_ratio`` is
candidate p99 / control p99 (None without both).
``coverage`` (shadow.coverage) is what the compared requests exercised: the control's
statuses, the fields ever filled and the list lengths of its JSON bodies.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from shadow import schema
from shadow.coverage import Coverage
from shadow.groups import DiffGroup, key_of
from shadow.observation import Outcome

SKIPPED = (Outcome.SKIPPED_UNSAFE, Outcome.SKIPPED_OVERLOAD)
CANDIDATE_FAILURES = (Outcome.CANDIDATE_ERROR, Outcome.TIMEOUT, Outcome.ESCAPED_WRITE)
JUDGED = (Outcome.MATCH, Outcome.MISMATCH)


@dataclass
class RouteReport:
    """Parity of one route over a time window."""

    route: str
    compared: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: {str(o): 0 for o in Outcome})
    top_paths: list[tuple[str, int]] = field(default_factory=list)
    candidate_p50: float | None = None
    candidate_p99: float | None = None
    control_p50: float | None = None
    control_p99: float | None = None
    lag_p50: float | None = None  # queued comparisons: request's arrival -> comparison, ms
    lag_p99: float | None = None
    coverage: Coverage = field(default_factory=Coverage)

    @property
    def latency_ratio(self) -> float | None:
        """Return candidate p99 / control p99, None without both (inf over a 0 ms control)."""
        if self.candidate_p99 is None or self.control_p99 is None:
            return None
        if self.control_p99 <= 0:
            return math.inf if self.candidate_p99 > 0 else 1.0
        return round(self.candidate_p99 / self.control_p99, 3)

    @property
    def match(self) -> int:
        return self.outcomes[Outcome.MATCH]

    @property
    def mismatch(self) -> int:
        return self.outcomes[Outcome.MISMATCH]

    @property
    def match_pct(self) -> float | None:
        judged = self.match + self.mismatch
        return round(100.0 * self.match / judged, 2) if judged else None

    @property
    def traffic(self) -> int:
        """Return the shadowed requests seen, skipped ones included."""
        return sum(self.outcomes.values())

    @property
    def skipped_pct(self) -> float | None:
        """Return the share of shadowed requests shed at a cap or by the queue (not compared,
        so never a match), None before any traffic."""
        traffic = self.traffic
        if not traffic:
            return None
        return round(100.0 * self.outcomes[Outcome.SKIPPED_OVERLOAD] / traffic, 2)

    @property
    def candidate_failures(self) -> int:
        """Return the requests the candidate failed: errors, escaped writes and timeouts."""
        return sum(self.outcomes.get(str(o), 0) for o in CANDIDATE_FAILURES)

    @property
    def failure_pct(self) -> float | None:
        """Return candidate failures per hundred compared requests, None before any."""
        return 100.0 * self.candidate_failures / self.compared if self.compared else None

    def as_dict(self) -> dict[str, Any]:
        """Return the report as one flat JSON-ready row."""
        row = {"route": self.route, "compared": self.compared, **self.outcomes}
        row["match_pct"] = self.match_pct
        row["top_paths"] = [{"path": path, "count": count} for path, count in self.top_paths]
        row["skipped_pct"] = self.skipped_pct
        for name in ("candidate_p50", "candidate_p99", "control_p50", "control_p99", "lag_p50",
                     "lag_p99"):
            row[f"{name}_ms"] = getattr(self, name)
        ratio = self.latency_ratio
        row["latency_ratio"] = ratio if ratio is None or math.isfinite(ratio) else None
        row["coverage"] = self.coverage.as_dict()
        return row


@dataclass
class Sample:
    """One stored mismatch: the redacted differences and both cleaned bodies."""

    route: str
    method: str
    request_id: str | None
    control_side: str
    control_status: int | None
    candidate_status: int | None
    compared_at: datetime
    differences: list[dict[str, Any]]
    control_body: str | None
    candidate_body: str | None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "compared_at": self.compared_at.isoformat()}


@dataclass(frozen=True)
class Point:
    """Parity in one time bucket: matches / (matches + mismatches) from ``start`` on."""

    start: datetime
    compared: int
    parity: float | None


@dataclass
class NoiseCandidate:
    """A field path that differed between two answers of the control."""

    path: str
    count: int
    first_seen: datetime
    last_seen: datetime


def route_reports(engine: sa.Engine, since: datetime, *, top: int = 5) -> list[RouteReport]:
    """Return the parity of every route with comparisons since ``since``, by route."""
    with engine.connect() as connection:
        return _reports(connection, since, top, None)


def route_report(engine: sa.Engine, route: str, since: datetime, *, top: int = 5) -> RouteReport:
    """Return the parity of ``route`` since ``since`` (an empty report if it has none)."""
    with engine.connect() as connection:
        reports = _reports(connection, since, top, route)
    return reports[0] if reports else RouteReport(route)


def _reports(connection: sa.Connection, since: datetime, top: int,
             route: str | None) -> list[RouteReport]:
    """Return the reports of every route since ``since``, or of ``route`` only."""
    table, paths = schema.comparisons, schema.differences
    only = (table.c.route == route,) if route is not None else ()
    only_paths = (paths.c.route == route,) if route is not None else ()
    reports: dict[str, RouteReport] = {}
    counts = connection.execute(
        sa.select(table.c.route, table.c.outcome, sa.func.count())
        .where(table.c.compared_at >= since, *only)
        .group_by(table.c.route, table.c.outcome)
    )
    for name, outcome, count in counts:
        report = reports.setdefault(name, RouteReport(name))
        report.outcomes[outcome] = count
        if outcome not in SKIPPED:
            report.compared += count
    ranked = connection.execute(
        sa.select(paths.c.route, paths.c.path, sa.func.count().label("n"))
        .where(paths.c.compared_at >= since, *only_paths)
        .group_by(paths.c.route, paths.c.path)
        .order_by(sa.desc("n"), paths.c.path)
    )
    for name, path, count in ranked:
        if name in reports and len(reports[name].top_paths) < top:
            reports[name].top_paths.append((path, count))
    _coverage(connection, since, only, reports)
    for name, figures in _latencies(connection, since, only).items():
        if name in reports:
            for key, value in figures.items():
                setattr(reports[name], key, value)
    return [reports[name] for name in sorted(reports)]


def timeline(engine: sa.Engine, route: str, start: datetime, end: datetime,
             buckets: int = 24) -> list[Point]:
    """Return ``route``'s parity in each of ``buckets`` equal slices of [start, end), in one query.

    Each bucket is [start + i * step, start + (i + 1) * step); one with no match and no
    mismatch has parity None.
    """
    table = schema.comparisons
    step: timedelta = (end - start) / buckets
    starts = [start + i * step for i in range(buckets)]
    bucket = sa.case(
        *[(table.c.compared_at < start + (i + 1) * step, i) for i in range(buckets - 1)],
        else_=buckets - 1,
    ).label("bucket")
    judged = [str(o) for o in JUDGED]
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(bucket, table.c.outcome, sa.func.count())
            .where(table.c.route == route, table.c.outcome.in_(judged),
                   table.c.compared_at >= start, table.c.compared_at < end)
            .group_by(sa.literal_column("bucket"), table.c.outcome)
        ).all()
    matches, totals = [0] * buckets, [0] * buckets
    for index, outcome, count in rows:
        totals[index] += count
        if outcome == Outcome.MATCH:
            matches[index] += count
    return [Point(starts[i], totals[i], 100.0 * matches[i] / totals[i] if totals[i] else None)
            for i in range(buckets)]


def _coverage(connection: sa.Connection, since: datetime, only: tuple[Any, ...],
              reports: dict[str, RouteReport]) -> None:
    """Fill each report's coverage: compared requests' statuses, then their body summaries."""
    table = schema.comparisons
    compared = (table.c.compared_at >= since, table.c.outcome.not_in([str(o) for o in SKIPPED]),
                *only)
    for name, status, count in connection.execute(
            sa.select(table.c.route, table.c.control_status, sa.func.count())
            .where(*compared).group_by(table.c.route, table.c.control_status)):
        if name in reports and status is not None:
            reports[name].coverage.statuses[str(status)] = count
    for name, summary in connection.execute(
            sa.select(table.c.route, table.c.coverage)
            .where(*compared, table.c.coverage.is_not(None))):
        if name in reports:
            reports[name].coverage.add(summary)


LATENCIES = tuple((f"{side}_{label}", side, q) for side in ("candidate", "control", "lag")
                  for label, q in (("p50", 0.5), ("p99", 0.99)))


def _latencies(connection: sa.Connection, since: datetime,
               only: tuple[Any, ...]) -> dict[str, dict[str, float | None]]:
    """Return each route's latency percentiles (LATENCIES) since ``since``, in one query.

    PostgreSQL computes them (percentile_disc is the nearest rank; it skips NULLs); elsewhere
    the window's durations are read once and ranked here.
    """
    table = schema.comparisons
    where = (table.c.compared_at >= since, *only)
    if connection.dialect.name == "postgresql":
        columns = [sa.func.percentile_disc(q).within_group(table.c[f"{side}_ms"]).label(key)
                   for key, side, q in LATENCIES]
        rows = connection.execute(
            sa.select(table.c.route, *columns).where(*where).group_by(table.c.route))
        return {row.route: {key: row._mapping[key] for key, _, _ in LATENCIES} for row in rows}
    durations: dict[str, dict[str, list[float]]] = {}
    for name, control, candidate, lag in connection.execute(
            sa.select(table.c.route, table.c.control_ms, table.c.candidate_ms, table.c.lag_ms)
            .where(*where)):
        sides = durations.setdefault(name, {"control": [], "candidate": [], "lag": []})
        for side, value in (("control", control), ("candidate", candidate), ("lag", lag)):
            if value is not None:
                sides[side].append(value)
    return {name: {key: _nearest_rank(sorted(sides[side]), q) for key, side, q in LATENCIES}
            for name, sides in durations.items()}


def _nearest_rank(ordered: list[float], q: float) -> float | None:
    return ordered[max(1, math.ceil(q * len(ordered))) - 1] if ordered else None


def latest_mismatches(engine: sa.Engine, route: str, *, limit: int = 10) -> list[Sample]:
    """Return the route's sampled mismatches (the reservoir), newest first."""
    table = schema.samples
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(table)
            .where(table.c.route == route)
            .order_by(table.c.compared_at.desc(), table.c.id.desc())
            .limit(limit)
        ).mappings()
        return [
            Sample(
                route=row["route"],
                method=row["method"],
                request_id=row["request_id"],
                control_side=row["control_side"],
                control_status=row["control_status"],
                candidate_status=row["candidate_status"],
                compared_at=row["compared_at"],
                differences=json.loads(row["differences"]),
                control_body=row["control_body"],
                candidate_body=row["candidate_body"],
            )
            for row in rows
        ]


def noise_candidates(engine: sa.Engine, route: str) -> list[NoiseCandidate]:
    """Return the route's noise candidates, most frequent first."""
    table = schema.noise
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(table.c.path, table.c.count, table.c.first_seen, table.c.last_seen)
            .where(table.c.route == route)
            .order_by(table.c.count.desc(), table.c.path)
        )
        return [NoiseCandidate(*row) for row in rows]


GROUP_ROWS = 200_000  # differing paths read per diff-groups query (the newest first)


def diff_groups(engine: sa.Engine, since: datetime, *, route: str | None = None,
                limit: int = 50) -> list[DiffGroup]:
    """Return the mismatches since ``since`` grouped by (route, differing paths, kinds),
    biggest first, with first/last seen and up to three request ids each (shadow.groups).

    Read from the differing paths each mismatch stored (at most ``GROUP_ROWS`` of them, the
    newest); a path stored before migration 0010 has no kind and groups as ``-``.
    """
    paths, table = schema.differences, schema.comparisons
    query = (sa.select(paths.c.comparison_id, paths.c.route, paths.c.path, paths.c.kind,
                       paths.c.compared_at, table.c.request_id)
             .join(table, table.c.id == paths.c.comparison_id)
             .where(paths.c.compared_at >= since)
             .order_by(paths.c.id.desc()).limit(GROUP_ROWS))
    if route is not None:
        query = query.where(paths.c.route == route)
    mismatches: dict[int, tuple[str, datetime, str | None, list[dict[str, str]]]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            entry = mismatches.setdefault(row.comparison_id,
                                          (row.route, row.compared_at, row.request_id, []))
            for kind in (row.kind or "-").split(","):
                entry[3].append({"path": row.path, "kind": kind})
    groups: dict[tuple[str, tuple[str, ...], tuple[str, ...]], DiffGroup] = {}
    ordered = sorted(mismatches.items(), key=lambda item: (item[1][1], item[0]))  # oldest first
    for _, (name, seen, request_id, found) in ordered:
        key = key_of(name, found)
        groups.setdefault(key, DiffGroup(*key)).add(seen, request_id)
    return sorted(groups.values(), key=lambda g: (-g.count, g.route, g.paths))[:limit]
