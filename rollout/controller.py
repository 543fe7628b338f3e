"""The rollout controller: judge each planned route's gate, promote, roll back or pause.

One evaluation (``Controller.evaluate``) reads routes.yaml, the parity store and the rollout
state of each route with a plan (rollout.plan), judges its gate (rollout.gate) on the
comparisons made since the route entered its step (at most ``window`` back), and acts through
``rollout.route_file.flip_route``: the validated, comment-keeping, audited edit of ``strangler
routes set``, with the figures that decided in the audit row's reason. A route moved by hand
is adopted on its new step; a step the plan does not list is left alone.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from backend.database import db
from dbtypes import utcnow
from proxy.lifecycle import RouteState, state_name
from proxy.validation import RouteFileError, Shape, flask_share, load_table
from rollout import metrics
from rollout.gate import BREACH, HOLD, PASS, Figures, Verdict, evaluate
from rollout.models import RolloutState, RouteChange
from rollout.plan import Plan, plans
from rollout.route_file import flip_route
from shadow.report import route_report

log = logging.getLogger(__name__)
RUNNING, PAUSED, ROLLED_BACK, ABORTED = "running", "paused", "rolled back", "aborted"
ACTOR_PREFIX = "rollout@"


def actor_name() -> str:
    """Return this controller's name in the audit log: rollout@host:pid."""
    return f"{ACTOR_PREFIX}{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Decision:
    """What one evaluation did to one route."""

    route: str
    step: str
    action: str  # none, promoted, rolled back, paused, adopted, off plan, stopped
    verdict: Verdict | None


def state_row(route: str, step: str, now: datetime, unknown: timedelta = timedelta()
              ) -> RolloutState:
    """Return the route's rollout state, created on its current step if it has none.

    A new row's step started at the audit row that put the route there; without one (the
    file edited by hand) it is taken as ``now - unknown`` (the controller passes its window).
    """
    row = db.session.get(RolloutState, route)
    if row is None:
        entered = db.session.scalar(
            sa.select(RouteChange.changed_at).where(RouteChange.route == route,
                                                    RouteChange.to_state == step)
            .order_by(RouteChange.changed_at.desc()).limit(1))
        row = RolloutState(route=route, step=step, since=entered or now - unknown,
                           status=RUNNING,
                           evaluations=0)
        db.session.add(row)
    return row


class Controller:
    """Evaluate every planned route once per ``evaluate()`` call; act when the gate says so."""

    def __init__(self, routes_file: Path, engine: sa.Engine, *, actor: str | None = None,
                 shapes: set[Shape] | None = None) -> None:
        self.routes_file = routes_file
        self.engine = engine
        self.actor = actor or actor_name()
        self.shapes = shapes

    def evaluate(self) -> list[Decision]:
        """Evaluate each planned route; return what was done. Needs an app context."""
        try:
            table = load_table(self.routes_file.read_text(), str(self.routes_file), None)
        except (OSError, RouteFileError) as error:
            log.error("rollout: routes.yaml unreadable, nothing evaluated: %s", error)
            return []
        entries = {route.template: route.entry for route in table.routes}
        decisions = []
        for route, plan in plans(table.config).items():
            decisions.append(self._route(plan, state_name(entries[route])))
            db.session.commit()
        return decisions

    def _route(self, plan: Plan, current: str) -> Decision:
        # Every series at 0 before its first event: a counter born at 1 never rises in
        # Prometheus, and increase() (the Grafana panels) would show no promotion at all.
        metrics.PROMOTIONS.labels(plan.route)
        for action in ("rollback", "pause"):
            metrics.ROLLBACKS.labels(plan.route, action)
        for outcome in (PASS, HOLD, BREACH):
            metrics.EVALUATIONS.labels(plan.route, outcome)
        decision = self._decide(plan, current)
        index = plan.index(decision.step)
        metrics.STEP.labels(plan.route).set(-1 if index is None else index)
        metrics.FLASK_PERCENT.labels(plan.route).set(
            max(0.0, min(100.0, flask_share(RouteState(decision.step)))))
        return decision

    def _decide(self, plan: Plan, current: str) -> Decision:
        now = utcnow()
        row = state_row(plan.route, current, now, timedelta(seconds=plan.gate.window))
        if row.step != current:  # moved by hand (or by another tool): adopt the new step
            row.step, row.since, row.passing_since = current, now, None
        if plan.index(current) is None:
            row.note = f"{current} is not a step of the plan"
            return Decision(plan.route, current, "off plan", None)
        since = max(row.since, now - timedelta(seconds=plan.gate.window))
        report = route_report(self.engine, plan.route, since, top=0)
        verdict = evaluate(plan.gate, Figures.from_report(report, current), current)
        row.evaluations += 1
        row.evaluated_at = now
        row.verdict = json.dumps(verdict.as_dict())
        metrics.EVALUATIONS.labels(plan.route, verdict.decision).inc()
        if row.status != RUNNING:
            return Decision(plan.route, current, "stopped", verdict)
        if verdict.decision == BREACH:
            return self._breach(plan, row, verdict)
        if verdict.decision != PASS:
            row.passing_since = None
            return Decision(plan.route, current, "none", verdict)
        row.passing_since = row.passing_since or now
        following = plan.next_step(current)
        if following is None or (now - row.passing_since).total_seconds() < plan.hold:
            return Decision(plan.route, current, "none", verdict)
        reason = f"promoted after {plan.hold:g}s held, evaluation #{row.evaluations}: " \
                 + verdict.summary()
        if self._flip(plan.route, following, reason):
            row.step, row.since, row.passing_since = following.name, utcnow(), None
            metrics.PROMOTIONS.labels(plan.route).inc()
            return Decision(plan.route, following.name, "promoted", verdict)
        return Decision(plan.route, current, "none", verdict)

    def _breach(self, plan: Plan, row: RolloutState, verdict: Verdict) -> Decision:
        first = plan.steps[0]
        row.passing_since = None
        if plan.on_breach == "rollback" and row.step != first.name:
            reason = f"rolled back, evaluation #{row.evaluations}: {verdict.summary()}"
            if self._flip(plan.route, first, reason):
                row.step, row.since, row.status, row.note = first.name, utcnow(), \
                    ROLLED_BACK, reason
                metrics.ROLLBACKS.labels(plan.route, "rollback").inc()
                return Decision(plan.route, first.name, "rolled back", verdict)
        row.status, row.note = PAUSED, f"paused on breach, evaluation #{row.evaluations}: " \
            + verdict.summary()
        metrics.ROLLBACKS.labels(plan.route, "pause").inc()
        log.warning("rollout: %s %s", plan.route, row.note)
        return Decision(plan.route, row.step, "paused", verdict)

    def _flip(self, route: str, state: RouteState, reason: str) -> bool:
        try:
            change = flip_route(self.routes_file, route, state, actor=self.actor,
                                reason=reason, shapes=self.shapes)
        except (OSError, RouteFileError) as error:
            log.error("rollout: could not move %s to %s: %s", route, state.name, error)
            return False
        log.warning("rollout: %s -> %s (%s)", route, state.name, reason)
        return change is not None
