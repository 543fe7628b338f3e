"""The ``strangler`` command: Flask's CLI around the proxy app (``strangler db ...`` included).

This is the composition root of every package. Commands get the app without the dashboard
(no signing key written, no password hashed) unless they serve it: ``run`` and ``shell``.
"""

from __future__ import annotations

import getpass
import importlib
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, current_app, has_app_context
from flask.cli import FlaskGroup, NoAppException, ScriptInfo, with_appcontext

from proxy.lifecycle import CANARY, FLASK, FLASK_ALONE, LEGACY, SHADOW, RouteState, state_name
from proxy.patterns import PatternError
from proxy.schema import Weights
from proxy.validation import RouteFileError, load_table
from rollout import create_app
from rollout.capture_cli import replay

# Imported by the commands that use them, not here: Flask-Migrate (Alembic), shadow's
# report and store, the dashboard's accounts and rollout.route_file (ruamel.yaml) cost
# more than a second together, and `strangler routes list` needs none of them.

# The commands that serve or inspect the whole app, dashboard included.
SERVING_COMMANDS = frozenset({"run", "shell"})


def _create_app() -> Flask:
    """Build the app for the command being run: with the dashboard only if it serves it,
    with Flask-Migrate (Alembic) only for ``strangler db ...`` and those that serve."""
    ctx = click.get_current_context(silent=True)
    names = set()
    while ctx is not None:
        names.add(ctx.info_name)
        ctx = ctx.parent
    serving = bool(names & SERVING_COMMANDS)
    return create_app({"MIGRATIONS": serving or "db" in names}, dashboard=serving,
                      serve=serving)


class LazyGroup(click.Group):
    """A command group whose subcommands are imported when it is first used."""

    def __init__(self, name: str, load: Callable[[], dict[str, click.Command]],
                 **kwargs: object) -> None:
        super().__init__(name, **kwargs)  # type: ignore[arg-type]
        self._load: Callable[[], dict[str, click.Command]] | None = load

    def _loaded(self) -> None:
        if self._load is not None:
            load, self._load = self._load, None
            self.commands.update(load())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._loaded()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._loaded()
        return super().list_commands(ctx)


def _db_group() -> click.Group:
    """Flask-Migrate's ``db`` group, with ``db upgrade`` upgrading every branch.

    migrations/ has two branches, ``backend`` and ``tooling``: a plain ``strangler db
    upgrade`` brings both to their newest revision (Alembic's ``head`` refuses two heads).
    """
    from flask_migrate.cli import db as migrate_db

    upgrade = migrate_db.commands["upgrade"]
    params = [click.Argument(["revision"], default="heads") if p.name == "revision" else p
              for p in upgrade.params]
    heads = click.Command("upgrade", callback=upgrade.callback, params=params,
                          help=upgrade.help, short_help=upgrade.short_help)
    return click.Group("db", help=migrate_db.help, params=migrate_db.params,
                       callback=migrate_db.callback,
                       commands={**migrate_db.commands, "upgrade": heads})


class StranglerGroup(FlaskGroup):
    """Flask's CLI, with ``db`` the group above (imported when asked for)."""

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return _db_group() if name == "db" else super().get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "db"})


cli = StranglerGroup(create_app=_create_app,
                     help="Strangler: migrate a live API one route at a time.")


def _routes_file() -> Path:
    return Path(current_app.config["ROUTES_FILE"])


def _routes_file_without_app() -> Path:
    """Return ROUTES_FILE without building the app: the setting as the app would read it,
    or the app's own config when one was given (``app.test_cli_runner()``, ``--app``)."""
    info = click.get_current_context().find_object(ScriptInfo)
    if info is not None and info.create_app is not _create_app:
        return Path(info.load_app().config["ROUTES_FILE"])
    from shadow import settings

    return Path(settings.read().routes_file)


def _shapes_without_app() -> set:
    """Return the backend's operations without building the proxy app: the backend alone,
    its URL map only (an in-memory SQLite URI, so no database driver is loaded); or those of
    the app given (``app.test_cli_runner()``, ``--app``)."""
    info = click.get_current_context().find_object(ScriptInfo)
    if info is not None and info.create_app is not _create_app:
        app = info.load_app()
        with app.app_context():
            return _backend_shapes()
    from backend import create_app as create_backend
    from proxy.validation import backend_shapes

    return backend_shapes(create_backend({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).url_map)


def _backend_shapes():
    return current_app.extensions["strangler"].shapes()


def _load(path: Path, *, check_backend: bool):
    shapes = _shapes_without_app() if check_backend else None
    try:
        return load_table(path.read_text(), str(path), shapes)
    except FileNotFoundError:
        raise click.ClickException(f"{path}: no such file") from None
    except RouteFileError as error:
        click.echo(str(error), err=True)
        raise click.exceptions.Exit(1) from None


@click.group()
def routes() -> None:
    """Show, check and flip the routes of routes.yaml."""


@routes.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
def list_routes(as_json: bool) -> None:
    """List each route with who serves it and who is compared."""
    table = _load(_routes_file_without_app(), check_backend=False)
    rows = [
        {
            "route": route.template,
            "state": state_name(route.entry),
            "serve": route.entry.serve.model_dump() if isinstance(route.entry.serve, Weights)
            else route.entry.serve,
            "shadow": route.entry.shadow_side or False,
        }
        for route in table.routes
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    width = max((len(r["route"]) for r in rows), default=5)
    click.echo(f"{'ROUTE':<{width}}  {'STATE':<18}  {'SERVE':<22}  SHADOW")
    for r in rows:
        serve = r["serve"] if isinstance(r["serve"], str) else json.dumps(r["serve"])
        click.echo(f"{r['route']:<{width}}  {r['state']:<18}  {serve:<22}  {r['shadow']}")
    click.echo(f"(unlisted routes: {table.config.default}; version {table.version})")


_STATE_WORDS = (LEGACY, SHADOW, CANARY, FLASK)
_METHOD_WORDS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "*"})


def _split_set_args(args: tuple[str, ...]) -> tuple[list[str], str | None, int | None]:
    """Split ``ROUTE... STATE [N]`` into the routes, the state word and the percentage.

    An unquoted ``GET /api/tags`` (two words) is taken as the one route it means.
    """
    words = list(args)
    percent: int | None = None
    if len(words) >= 2 and words[-1].isdigit() and words[-2] == CANARY:
        percent = int(words.pop())
        if not 1 <= percent <= 99:
            raise click.UsageError("canary takes a percentage from 1 to 99")
    state = words.pop() if words and words[-1] in _STATE_WORDS else None
    if state == CANARY and percent is None:
        raise click.UsageError("canary takes a percentage (1-99); other states take none")
    selectors: list[str] = []
    for word in words:
        if selectors and selectors[-1] in _METHOD_WORDS and word.startswith("/"):
            selectors[-1] = f"{selectors[-1]} {word}"
        else:
            selectors.append(word)
    return selectors, state, percent


@routes.command("set")
@click.argument("args", nargs=-1, metavar="[ROUTE|GLOB]... [STATE [N]]")
@click.option("--all", "every", is_flag=True, help="Every route listed in the file.")
@click.option("--default", "default", type=click.Choice([LEGACY, FLASK]),
              help="Also set the side that serves unlisted requests (preflights included).")
@click.option("--no-shadow", is_flag=True, help="With flask: stop comparing against legacy.")
@click.option("--reason", help="Why, for the audit log.")
@click.option("--actor", default=getpass.getuser, show_default="the OS user",
              help="Who, for the audit log.")
@with_appcontext
def set_route(args: tuple[str, ...], every: bool, default: str | None, no_shadow: bool,
              reason: str | None, actor: str) -> None:
    """Move routes to STATE: legacy, shadow, canary N or flask; one write, one audit.

    Routes are named ("GET /api/tags"), globbed ('* /api/articles*', over the listed
    routes) or --all. --default legacy|flask sets who serves unlisted requests, in the
    same write. A route moved to flask loses its `writes: dry-run` (Flask serves it).
    """
    selectors, state, percent = _split_set_args(args)
    if state is None and (selectors or every or default is None):
        raise click.UsageError("give routes (or --all) and a STATE: legacy, shadow, canary N,"
                               " flask; or only --default legacy|flask")
    if state is not None and not (selectors or every):
        raise click.UsageError("name the routes to move (ROUTE, a glob, or --all)")
    if every and selectors:
        raise click.UsageError("--all takes no ROUTE")
    if no_shadow and state != FLASK:
        raise click.UsageError("--no-shadow goes with flask only")
    # The command line's words for a state, mapped to the lifecycle's names here, at the edge.
    wanted = (None if state is None else RouteState.canary(percent) if state == CANARY
              else RouteState(FLASK_ALONE) if no_shadow else RouteState.parse(state))
    from rollout.route_file import DEFAULT_ROUTE, SelectionError, flip_routes

    try:
        flips = flip_routes(_routes_file(), selectors, wanted, every=every, default=default,
                            actor=actor, reason=reason, shapes=_backend_shapes())
    except PatternError as error:
        raise click.BadParameter(str(error), param_hint="ROUTE") from None
    except SelectionError as error:
        raise click.ClickException(str(error)) from None
    except RouteFileError as error:
        click.echo(str(error), err=True)
        raise click.exceptions.Exit(1) from None
    for route in flips.unchanged:
        if route == DEFAULT_ROUTE:
            click.echo(f"default is already {default}; nothing changed")
        else:
            assert wanted is not None  # only routes given a state are selected
            click.echo(f"{route} is already {wanted.name}; nothing changed")
    for change in flips.changes:
        name = "default" if change.route == DEFAULT_ROUTE else change.route
        click.echo(f"{name}: {change.from_state} -> {change.to_state} (by {actor})")
    for note in flips.notes:
        click.echo(note)


@routes.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--without-legacy", is_flag=True,
              help="Also prove that no request would reach legacy (it can be switched off).")
def check_routes(file: Path | None, without_legacy: bool) -> None:
    """Validate FILE (default ROUTES_FILE), the backend's URL map included.

    Every operation the backend implements that the table does not list is served by
    ``default``; with --without-legacy the check fails, naming each cause, while legacy would
    still receive any request: served, in a canary's share, or compared.
    """
    table = _load(file or _routes_file_without_app(), check_backend=True)
    if without_legacy:
        needs = table.legacy_needs()
        if needs:
            click.echo(f"{len(needs)} reasons legacy is still needed:")
            for need in needs:
                click.echo(f"  {need}")
            raise click.exceptions.Exit(1)
        click.echo(f"OK: {len(table.routes)} routes, version {table.version}; no request"
                   " reaches legacy: it can be switched off")
        return
    click.echo(f"OK: {len(table.routes)} routes, version {table.version}")


@routes.command("history")
@click.option("--route", help="Only this route.")
@click.option("--limit", default=50, show_default=True)
@with_appcontext
def history(route: str | None, limit: int) -> None:
    """Show the audit log of route flips, newest first."""
    from rollout.route_file import audit_log

    for change in audit_log(limit, route or None):
        note = f"  ({change.reason})" if change.reason else ""
        click.echo(f"{change.changed_at:%Y-%m-%d %H:%M:%S}  {change.actor:<12}  {change.route}:"
                   f" {change.from_state} -> {change.to_state}{note}")


@click.command("noise")
@click.argument("route")
@click.option("--json", "as_json", is_flag=True)
@click.option("--accept", is_flag=True,
              help="Add the noise candidates to ROUTE's ignore: list in routes.yaml.")
@click.option("--reason", help="Why, for the audit log (with --accept).")
@click.option("--actor", default=getpass.getuser, show_default="the OS user",
              help="Who, for the audit log (with --accept).")
@click.pass_context
@with_appcontext
def noise(ctx: click.Context, route: str, as_json: bool, accept: bool, reason: str | None,
          actor: str) -> None:
    """List ROUTE's noise candidates; with --accept, ignore them in routes.yaml (audited)."""
    if not accept:
        from shadow.cli import noise_command

        ctx.invoke(noise_command, route=route, as_json=as_json)
        return
    from backend.database import db
    from shadow.report import noise_candidates

    rules = [n.path for n in noise_candidates(db.engine, route)]
    if not rules:
        click.echo(f"No noise candidates for {route}; nothing changed.")
        return
    from rollout.route_file import add_ignore_rules

    runtime = current_app.extensions["strangler"]
    try:
        change = add_ignore_rules(_routes_file(), route, rules, actor=actor, reason=reason,
                                  shapes=runtime.shapes())
    except (PatternError, ValueError) as error:
        if isinstance(error, RouteFileError):
            click.echo(str(error), err=True)
            raise click.exceptions.Exit(1) from None
        raise click.BadParameter(str(error), param_hint="ROUTE") from None
    if change is None:
        click.echo(f"{route} already ignores {', '.join(rules)}; nothing changed")
    else:
        click.echo(f"{change.route}: {change.reason} (by {actor})")


@click.command("prune")
@click.option("--max-age-days", default=14, show_default=True, type=click.IntRange(min=1))
@click.option("--max-rows", default=1_000_000, show_default=True, type=click.IntRange(min=1))
@with_appcontext
def prune(max_age_days: int, max_rows: int) -> None:
    """Delete old comparisons from the parity store, and route traffic minutes older than
    --max-age-days (run it hourly from cron, on one host)."""
    from backend.database import db
    from proxy import traffic
    from shadow.store import ParityStore

    deleted = ParityStore(db.engine).prune(max_age=timedelta(days=max_age_days),
                                           max_rows=max_rows)
    minutes = traffic.prune(db.engine, timedelta(days=max_age_days))
    click.echo(f"Pruned {deleted} comparisons and {minutes} route traffic rows.")


def _app_database_url() -> str | None:
    """Return the database of the app at hand (shadow's commands read the parity store there)."""
    if has_app_context():
        return current_app.config["SQLALCHEMY_DATABASE_URI"]
    info = click.get_current_context().find_object(ScriptInfo)
    if info is None or info.create_app is None:
        return None
    try:
        return info.load_app().config.get("SQLALCHEMY_DATABASE_URI")
    except NoAppException:
        return None


@click.pass_context
def _mount_parity(ctx: click.Context) -> None:
    from shadow.cli import DATABASE_URL_RESOLVER

    ctx.meta[DATABASE_URL_RESOLVER] = _app_database_url


def _parity_commands() -> dict[str, click.Command]:
    from shadow.cli import parity

    return {**parity.commands, "noise": noise, "prune": prune}


def _commands_of(module: str, group: str) -> Callable[[], dict[str, click.Command]]:
    """Return a loader of the subcommands of the click group ``group`` in ``module``."""

    def load() -> dict[str, click.Command]:
        return dict(getattr(importlib.import_module(module), group).commands)

    return load


# ``strangler parity ...``: shadow's read commands, plus noise --accept and prune.
parity_group = LazyGroup(
    "parity", _parity_commands, callback=_mount_parity,
    help="Shadow parity: how the candidate compares with the control, per route.")

cli.add_command(routes)
cli.add_command(parity_group)
# Each group below is imported when it is used: `strangler routes list` pays for none of them.
for _name, _module, _group, _help in [
    ("rollout", "rollout.commands", "rollout_cli",
     "Promote and roll back routes on their parity gate (docs/rollout.md)."),
    ("users", "rollout.dashboard.accounts", "users_cli", "Accounts of the parity dashboard."),
    ("capture", "rollout.capture_cli", "capture",
     "Captured traffic (routes.yaml capture:): export, import, prune (docs/replay.md)."),
    ("legacy", "rollout.legacy", "legacy",
     "What still reaches legacy, and whether it can be switched off."),
    ("shadow", "rollout.shadow_cli", "shadow", "Queued shadow: workers and keys (docs/shadow.md)."),
    ("edge", "rollout.edge", "edge", "The nginx edge rendered from routes.yaml (docs/deploy.md)."),
]:
    cli.add_command(LazyGroup(_name, _commands_of(_module, _group), help=_help))
cli.add_command(replay)
