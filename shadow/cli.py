"""``parity``: read the parity store from the command line (mounted by the strangler CLI).

The database is the one the mounting command names (``rollout.cli`` names its Flask app's,
through ``click.Context.meta[DATABASE_URL_RESOLVER]``), otherwise DATABASE_URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import click
import sqlalchemy as sa

from shadow import settings
from shadow.report import diff_groups, latest_mismatches, noise_candidates, route_reports
from shadow.store import engine_from_url

# A key of ``click.Context.meta``: a function returning the database URL, set by a command
# that mounts these ones (shadow/ knows nothing of Flask or of who mounts it).
DATABASE_URL_RESOLVER = "shadow.database_url"

_WINDOW = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """Turn ``30m``, ``1h``, ``7d`` or an ISO time into the start of the window (UTC)."""
    now = now or datetime.now(UTC)
    match = _WINDOW.match(value.strip())
    if match:
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use e.g. 30m, 1h, 7d or an ISO time") from None
    return start if start.tzinfo else start.replace(tzinfo=UTC)


def database_url() -> str:
    """Return the URL of the database holding the parity store."""
    resolve = click.get_current_context().meta.get(DATABASE_URL_RESOLVER)
    url = resolve() if resolve is not None else None
    if url:
        return url
    url = settings.read().database_url  # DATABASE_URL, declared in shadow/settings.py
    if not url:
        raise click.UsageError("no database: set DATABASE_URL (postgresql://... or sqlite:///...)")
    return url


@contextmanager
def _database() -> Iterator[sa.Engine]:
    engine = engine_from_url(database_url())
    try:
        yield engine
    finally:
        engine.dispose()


@click.group(help="Shadow parity: how the candidate compares with the control, per route.")
def parity() -> None:
    """Group the parity commands."""


@parity.command("report")
@click.option("--since", default="1h", show_default=True, help="Window: 30m, 1h, 7d or ISO.")
@click.option("--json", "as_json", is_flag=True, help="One JSON row per route.")
@click.option("--top", default=5, show_default=True, help="Differing paths shown per route.")
def report_command(since: str, as_json: bool, top: int) -> None:
    """Show per route: compared, outcomes, match %, top differing paths, latencies."""
    start = parse_since(since)
    with _database() as engine:
        reports = route_reports(engine, start, top=top)
        groups = diff_groups(engine, start)
    if as_json:
        by_route: dict[str, list[dict]] = {}
        for group in groups:
            by_route.setdefault(group.route, []).append(group.as_dict())
        click.echo(json.dumps([{**r.as_dict(), "groups": by_route.get(r.route, [])}
                               for r in reports], indent=2))
        return
    if not reports:
        click.echo(f"No comparisons since {since}.")
        return
    header = ("route", "compared", "match", "mismatch", "ignored", "error", "escaped",
              "timeout", "unsafe", "overload", "racing", "match %", "skipped %",
              "cand p50/p99 ms", "ctl p50/p99 ms", "p99 ratio", "lag p50/p99 ms")  # fmt: skip
    rows = [header]
    for r in reports:
        o = r.outcomes
        rows.append((
            r.route, str(r.compared), str(r.match), str(r.mismatch), str(o["ignored"]),
            str(o["candidate_error"]), str(o["escaped_write"]), str(o["timeout"]),
            str(o["skipped_unsafe"]), str(o["skipped_overload"]), str(o["concurrent_write"]),
            _pct(r.match_pct), _pct(r.skipped_pct),
            f"{_ms(r.candidate_p50)}/{_ms(r.candidate_p99)}",
            f"{_ms(r.control_p50)}/{_ms(r.control_p99)}",
            "-" if r.latency_ratio is None else f"{r.latency_ratio:.2f}x",
            "-" if r.lag_p50 is None else f"{_ms(r.lag_p50)}/{_ms(r.lag_p99)}",
        ))  # fmt: skip
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        numbers = zip(row[1:], widths[1:], strict=True)
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in numbers]
        click.echo("  ".join(cells).rstrip())
    for r in reports:
        if r.coverage.gaps:
            click.echo(f"\nNot covered, {r.route}: " + "; ".join(r.coverage.gaps))
    for r in reports:
        if r.top_paths:
            click.echo(f"\nTop differing paths, {r.route}:")
            for path, count in r.top_paths:
                click.echo(f"  {count:>6}  {path}")
    _echo_groups(groups)


def _echo_groups(groups: list) -> None:
    """One line per diff group: count, first and last seen, route; paths; kinds."""
    if not groups:
        return
    click.echo("\nDiff groups (count, first seen - last seen, route; paths; kinds):")
    for g in groups:
        click.echo(f"  {g.count:>6}  {g.first_seen:%m-%d %H:%M} - {g.last_seen:%m-%d %H:%M}"
                   f"  {g.describe()}  e.g. request {', '.join(g.samples) or '-'}")


@parity.command("show")
@click.argument("route")
@click.option("--limit", default=5, show_default=True, help="How many mismatches.")
@click.option("--json", "as_json", is_flag=True)
def show_command(route: str, limit: int, as_json: bool) -> None:
    """Show ROUTE's latest sampled mismatches as readable diffs (e.g. 'GET /api/tags')."""
    with _database() as engine:
        samples = latest_mismatches(engine, route, limit=limit)
        groups = diff_groups(engine, datetime.now(UTC) - timedelta(days=7), route=route)
    if as_json:
        click.echo(json.dumps([s.as_dict() for s in samples], indent=2))
        return
    if not samples:
        click.echo(f"No mismatches sampled for {route}.")
        return
    _echo_groups(groups)
    if groups:
        click.echo("")
    for s in samples:
        click.echo(
            f"{s.compared_at:%Y-%m-%d %H:%M:%S}  {s.route}  request {s.request_id or '-'}"
            f"  control ({s.control_side}) {s.control_status}  candidate {s.candidate_status}"
        )
        for d in s.differences:
            click.echo(f"  {d['path']}  [{d['kind']}]")
            click.echo(f"    control:   {_value(d['control'])}")
            click.echo(f"    candidate: {_value(d['candidate'])}")
        click.echo("")


@parity.command("noise")
@click.argument("route")
@click.option("--json", "as_json", is_flag=True)
def noise_command(route: str, as_json: bool) -> None:
    """List ROUTE's noise candidates: fields that differ between two control answers."""
    with _database() as engine:
        found = noise_candidates(engine, route)
    if as_json:
        rows = [{"path": n.path, "count": n.count, "last_seen": n.last_seen.isoformat()}
                for n in found]  # fmt: skip
        click.echo(json.dumps(rows, indent=2))
        return
    if not found:
        click.echo(f"No noise candidates for {route}.")
        return
    for n in found:
        click.echo(f"{n.count:>6}  {n.path}  (last seen {n.last_seen:%Y-%m-%d %H:%M:%S})")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _value(text: str | None) -> str:
    return "(absent)" if text is None else text
