"""``strangler rollout run|status|pause|resume|abort``: the gated rollout, from a terminal."""

from __future__ import annotations

import getpass
import json
import signal
import threading
from pathlib import Path
from types import FrameType

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from backend.database import db
from dbtypes import utcnow


def _routes_file() -> Path:
    return Path(current_app.config["ROUTES_FILE"])


def _shapes():
    return current_app.extensions["strangler"].shapes()


@click.group("rollout")
def rollout_cli() -> None:
    """Promote and roll back routes on their parity gate (the plans in routes.yaml)."""


@rollout_cli.command("run")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.05),
              help="Seconds between two evaluations.")
@click.option("--once", is_flag=True, help="Evaluate once and exit (3 if another controller"
              " holds the lock).")
@click.option("--metrics-port", type=int, help="Serve Prometheus metrics on 127.0.0.1:PORT.")
@with_appcontext
def run(interval: float, once: bool, metrics_port: int | None) -> None:
    """Evaluate every planned route each INTERVAL; act only while holding the leader lock."""
    from rollout.controller import Controller
    from rollout.leadership import Leadership

    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="127.0.0.1")
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    leadership = Leadership(db.engine)
    controller = Controller(_routes_file(), db.engine, shapes=_shapes())
    leading: bool | None = None
    try:
        while not stop.is_set():
            held = leadership.acquire()
            if held != leading:
                leading = held
                click.echo(f"{utcnow():%H:%M:%S.%f} {controller.actor}: "
                           + ("leading: acting on the plans" if held
                              else "standby: another controller holds the lock"), err=True)
            if held:
                try:
                    decisions = controller.evaluate()
                except sa.exc.DBAPIError as error:  # the database went away: try again later
                    db.session.rollback()
                    click.echo(f"{utcnow():%H:%M:%S.%f} evaluation failed: {error}", err=True)
                    decisions = []
                for decision in decisions:
                    if decision.action not in ("none", "stopped", "off plan"):
                        summary = decision.verdict.summary() if decision.verdict else ""
                        click.echo(f"{utcnow():%H:%M:%S.%f} {decision.route}: {decision.action}"
                                   f" -> {decision.step} ({summary})")
            elif once:
                raise click.exceptions.Exit(3)
            if once:
                return
            stop.wait(interval)
    finally:
        leadership.release()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@rollout_cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@with_appcontext
def status(as_json: bool) -> None:
    """Show each planned route: step, time on it, gate figures against thresholds, what next."""
    from proxy.validation import RouteFileError
    from rollout.operator import rollouts

    now = utcnow()
    try:
        rows = [r.as_dict(now) for r in rollouts(_routes_file())]
    except RouteFileError as error:
        click.echo(str(error), err=True)
        raise click.exceptions.Exit(1) from None
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        steps = " > ".join(f"[{s}]" if i == row["step_index"] else s
                           for i, s in enumerate(row["plan"]["steps"]))
        on_step = "" if row["seconds_on_step"] is None else f", {row['seconds_on_step']:g}s on it"
        click.echo(f"{row['route']}: {row['step']} ({row['status']}{on_step})\n  plan: {steps}")
        gate, plan_gate = row["gate"], row["plan"]["gate"]
        if gate:
            click.echo(f"  gate: {gate['decision']}: {gate['mismatches']}/{gate['judged']}"
                       f" mismatched (95% {gate['mismatch_low']}..{gate['mismatch_high']},"
                       f" allowed {gate['allowed']}); min {plan_gate['min_comparisons']};"
                       f" candidate failures {gate['candidate_failures']}/"
                       f"{plan_gate['candidate_errors']}; p99 ratio {gate['latency_ratio']}/"
                       f"{plan_gate['latency_ratio_p99']}")
        if row["note"]:
            click.echo(f"  note: {row['note']}")
        click.echo(f"  next: {row['next']}")


def _operation(name: str, help_text: str) -> click.Command:
    @click.argument("route")
    @click.option("--reason", help="Why, for the audit log.")
    @click.option("--actor", default=getpass.getuser, show_default="the OS user")
    @with_appcontext
    def command(route: str, reason: str | None, actor: str) -> None:
        from rollout import operator

        try:
            if name == "abort":
                done = operator.abort(_routes_file(), route, actor=actor, reason=reason,
                                      shapes=_shapes())
            else:
                done = getattr(operator, name)(_routes_file(), route, actor=actor,
                                               reason=reason)
        except ValueError as error:  # RolloutError, PatternError, RouteFileError
            raise click.ClickException(str(error)) from None
        click.echo(done)

    return click.command(name, help=help_text)(command)


rollout_cli.add_command(_operation("pause", "Stop acting on ROUTE; it stays on its step."))
rollout_cli.add_command(_operation("resume", "Act on ROUTE again, its evidence counted afresh."))
rollout_cli.add_command(_operation("abort", "Move ROUTE back to its plan's first step now;"
                                   " stop its rollout until resume."))
