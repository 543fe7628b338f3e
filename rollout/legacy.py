"""Legacy decommission: what still reached legacy in a window, and whether it can be switched off.

Two kinds of evidence, both needed: the traffic the proxy counted (proxy.traffic: every
request sent to legacy, by route, unmatched path template, OPTIONS, HEAD, and shadow's calls of
legacy) and the route table's proof that it sends legacy nothing any more
(``RouteTable.legacy_needs``, what ``strangler routes check --without-legacy`` checks). Legacy
can go when nothing reached it in the window, the proxy did serve traffic in that window, and
the table sends it nothing. ``strangler legacy status`` prints it; the dashboard's Legacy page
shows the same object.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

# What legacy still receives, grouped as an engineer switching it off reads it.
SECTIONS = {
    "routes": "Routes served by legacy",
    "unmatched": "Unmatched paths (served by default), by template",
    "options": "OPTIONS (CORS preflights and plain)",
    "head": "HEAD",
    "shadow": "Shadow calls to legacy (as the candidate, or the control rechecked)",
}
_DURATION = re.compile(r"(\d+)([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_window(text: str) -> timedelta:
    """Return the window ``7d``, ``24h``, ``30m`` or ``90s`` stands for."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a window such as 7d, 24h, 30m or 90s")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass(frozen=True)
class Reached:
    """Requests of one route (or unmatched template) and kind that reached legacy."""

    route: str
    matched: bool
    kind: str
    requests: int
    last_minute: datetime

    @property
    def section(self) -> str:
        if self.kind in ("shadow", "head"):
            return self.kind
        if self.kind in ("preflight", "options"):
            return "options"
        return "routes" if self.matched else "unmatched"


@dataclass(frozen=True)
class LegacyStatus:
    """The evidence for switching legacy off, over [since, now]."""

    since: datetime
    now: datetime
    served: int  # every request the proxy served in the window
    reached: list[Reached]
    needs: list[str]  # the route table's reasons (empty: it sends legacy nothing)
    sections: dict[str, list[Reached]] = field(init=False)

    def __post_init__(self) -> None:
        sections: dict[str, list[Reached]] = {name: [] for name in SECTIONS}
        for row in self.reached:
            sections[row.section].append(row)
        object.__setattr__(self, "sections", sections)

    @property
    def to_legacy(self) -> int:
        return sum(r.requests for r in self.reached)

    @property
    def can_switch_off(self) -> bool:
        return not self.reached and not self.needs and self.served > 0

    @property
    def verdict(self) -> str:
        """Say plainly whether legacy can be switched off, and if not, why."""
        if self.can_switch_off:
            return (f"Legacy can be switched off: none of the {self.served} requests since "
                    f"{self.since:%Y-%m-%d %H:%M} UTC reached it, and the route table sends it "
                    "nothing.")
        why = []
        if self.reached:
            why.append(f"{self.to_legacy} requests reached it in the window")
        if self.needs:
            why.append(f"the route table still sends it requests ({len(self.needs)} reasons)")
        if self.served == 0:
            why.append("the proxy recorded no traffic in the window, so there is no evidence")
        return "Legacy is still needed: " + "; ".join(why) + "."

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(), "until": self.now.isoformat(),
            "served": self.served, "to_legacy": self.to_legacy,
            "legacy": {name: [{"route": r.route, "kind": r.kind, "requests": r.requests,
                               "last_minute": r.last_minute.isoformat()} for r in rows]
                       for name, rows in self.sections.items()},
            "table": self.needs, "can_switch_off": self.can_switch_off, "verdict": self.verdict,
        }


def legacy_status(engine: sa.Engine, needs: list[str], window: timedelta,
                  now: datetime | None = None) -> LegacyStatus:
    """Return what reached legacy in the last ``window`` (whole minutes) beside the table's
    ``needs`` (``RouteTable.legacy_needs()``)."""
    from proxy.traffic import minute_floor, route_traffic, served

    now = now or datetime.now(UTC)
    since = minute_floor(now - window)
    table = route_traffic
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(table.c.route, table.c.matched, table.c.kind,
                      sa.func.sum(table.c.requests), sa.func.max(table.c.minute))
            .where(table.c.side == "legacy", table.c.minute >= since)
            .group_by(table.c.route, table.c.matched, table.c.kind)
            .order_by(sa.func.sum(table.c.requests).desc(), table.c.route, table.c.kind)
        ).all()
    reached = [Reached(route, matched, kind, int(n), last) for route, matched, kind, n, last
               in rows]
    return LegacyStatus(since, now, sum(served(engine, since).values()), reached, needs)


def table_needs(path: Path) -> list[str]:
    """Return the reasons the route table at ``path`` still sends requests to legacy."""
    from proxy.validation import load_table

    return load_table(path.read_text(), str(path), None).legacy_needs()


@click.group()
def legacy() -> None:
    """Switch legacy off on evidence: what still reaches it."""


@legacy.command("status")
@click.option("--since", "window", default="7d", show_default=True,
              help="The window: 7d, 24h, 30m, 90s (whole minutes).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def status(window: str, as_json: bool) -> None:
    """List everything that still reached legacy in the window; say whether it can go.

    Exits 0 when legacy can be switched off, 1 when it is still needed.
    """
    from backend.database import db
    from proxy.validation import RouteFileError

    try:
        span = parse_window(window)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--since") from None
    try:
        needs = table_needs(Path(current_app.config["ROUTES_FILE"]))
    except (FileNotFoundError, RouteFileError) as error:
        raise click.ClickException(f"the route table cannot be read: {error}") from None
    report = legacy_status(db.engine, needs, span)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        _print(report, window)
    if not report.can_switch_off:
        raise click.exceptions.Exit(1)


def _print(report: LegacyStatus, window: str) -> None:
    click.echo(f"Last {window} (since {report.since:%Y-%m-%d %H:%M} UTC): the proxy served "
               f"{report.served} requests; {report.to_legacy} reached legacy.")
    width = max((len(r.route) for r in report.reached), default=0)
    for name, title in SECTIONS.items():
        rows = report.sections[name]
        click.echo(f"{title}: {'none' if not rows else ''}".rstrip())
        for r in rows:
            kind = f" ({r.kind})" if name == "options" else ""
            click.echo(f"  {r.route:<{width}}  {r.requests:>8}  last {r.last_minute:%m-%d %H:%M}"
                       f"{kind}")
    click.echo("Route table (routes check --without-legacy): "
               + ("sends legacy nothing" if not report.needs else "legacy is still needed for"))
    for need in report.needs:
        click.echo(f"  {need}")
    click.echo(report.verdict)
