"""``strangler capture export|import|prune`` and ``strangler replay`` (docs/replay.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

# Imported by the commands that use them: this module is imported with the strangler CLI,
# and shadow's package (DeepDiff, SQLAlchemy) costs what `strangler routes list` need not pay.


def _store():
    from shadow.capture import CaptureStore
    from shadow.store import engine_from_url

    return CaptureStore(engine_from_url(current_app.config["SQLALCHEMY_DATABASE_URI"]))


@click.group("capture")
def capture() -> None:
    """Captured traffic (routes.yaml ``capture:``): export, import, prune."""


@capture.command("export")
@click.option("--route", help="Only this route (e.g. 'GET /api/tags').")
@click.option("--since", help="Only captures since: 30m, 1h, 7d or an ISO time.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many.")
@with_appcontext
def export(route: str | None, since: str | None, limit: int | None) -> None:
    """Write captured exchanges as JSON lines (format "capture": 1) to standard output."""
    from shadow.cli import parse_since

    store = _store()
    start = parse_since(since) if since else None
    for captured in store.captured(route=route, since=start, limit=limit):
        click.echo(captured.export_line())


@capture.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@with_appcontext
def import_(file) -> None:
    """Store the exchanges of an export FILE (redacted again before they are stored)."""
    from shadow.capture import read_file
    from shadow.capture_redact import redact_record
    from shadow.record import RecordError

    try:
        found = read_file(file)
    except RecordError as error:
        raise click.ClickException(str(error)) from None
    ids = _store().add([redact_record(c.record) for c in found])
    click.echo(f"Imported {len(ids)} captured exchanges.")


@capture.command("prune")
@click.option("--max-age-days", default=14, show_default=True, type=click.IntRange(min=1))
@with_appcontext
def prune(max_age_days: int) -> None:
    """Delete captures older than the given age."""
    from datetime import timedelta

    deleted = _store().prune(max_age=timedelta(days=max_age_days))
    click.echo(f"Deleted {deleted} captured exchanges.")


def _routes_config(path: Path | None):
    from proxy.validation import RouteFileError
    from rollout.replay import routes_config

    path = path or Path(current_app.config["ROUTES_FILE"])
    try:
        return routes_config(path)
    except (OSError, RouteFileError) as error:
        raise click.ClickException(f"{path}: {error}") from None


@click.command("replay")
@click.argument("file", type=click.File("r", encoding="utf-8"), required=False)
@click.option("--id", "rid", help="Re-run one stored capture (its id or request id) instead.")
@click.option("--against", default="flask", show_default=True,
              help="flask (this checkout's backend, in-process) or a URL on 127.0.0.1.")
@click.option("--route", help="Report only this route (other routes' writes still seed state).")
@click.option("--min-parity", default=100.0, show_default=True, type=click.FloatRange(0, 100),
              help="Exit 1 if a route's parity is under this percentage.")
@click.option("--database", help="With --against flask and a FILE: the fresh database the "
              "backend replays on (default: a new SQLite file, migrated).")
@click.option("--token", help="With --id: the credential to send in place of a pseudonym.")
@click.option("--routes-file", type=click.Path(dir_okay=False, path_type=Path),
              help="The rules' routes.yaml (default: ROUTES_FILE).")
@click.option("--json", "as_json", is_flag=True, help="The report as JSON.")
@with_appcontext
def replay(file, rid: str | None, against: str, route: str | None, min_parity: float,
           database: str | None, token: str | None, routes_file: Path | None,
           as_json: bool) -> None:
    """Send captured requests to a candidate and compare with the captured control answers,
    with routes.yaml's rules and live shadow mode's comparator; exit 1 under --min-parity."""
    from rollout import replay as engine

    if (file is None) == (rid is None):
        raise click.UsageError("give a FILE or --id RID (one of them)")
    config = _routes_config(routes_file)
    rules = engine.rules_by_route(config)
    if rid is not None:
        _rerun(rid, against, rules, token, as_json)
        return
    from shadow.capture import read_file
    from shadow.record import RecordError

    try:
        captures = read_file(file)
    except RecordError as error:
        raise click.ClickException(str(error)) from None
    report = engine.replay(captures, _candidate(against, database), rules, route=route,
                           min_parity=min_parity)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for line in engine.lines(report):
            click.echo(line)
    sys.exit(0 if report.passed else 1)


def _candidate(against: str, database: str | None):
    from rollout import replay as engine

    if against == "flask":
        return engine.flask_candidate(database)
    if not against.startswith(("http://127.0.0.1", "http://localhost", "http://[::1]")):
        raise click.BadParameter("flask or an http:// URL on 127.0.0.1", param_hint="--against")
    return engine.url_candidate(against)


def _rerun(rid: str, against: str, rules, token: str | None, as_json: bool) -> None:
    """Re-run one stored exchange against the candidate and show the fresh diff.

    In-process, it runs on the app's own database as live shadow mode does: reads in a
    read-only transaction, writes as rolled-back dry-runs (proxy.dryrun's signed markers).
    """
    from rollout import replay as engine
    from shadow.store import engine_from_url

    candidate = None if against == "flask" else _candidate(against, None)
    result = engine.rerun(engine_from_url(current_app.config["SQLALCHEMY_DATABASE_URI"]),
                          rid, rules, candidate, token=token)
    if result is None:
        raise click.ClickException(f"no captured exchange with id or request id {rid!r}")
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2))
    else:
        for line in engine.show(result):
            click.echo(line)
