"""What an operator does to a rollout: see it, pause it, resume it, abort it.

Shared by ``strangler rollout status|pause|resume|abort`` and the dashboard. Pausing and
resuming leave the route where it is and write an audit row (from = to = its state); abort
moves it back to its plan's first step through the audited edit and stops the rollout until
``resume``. Resuming starts the step's evidence afresh (its comparisons count from then).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from backend.database import db
from dbtypes import utcnow
from proxy.lifecycle import state_name
from proxy.patterns import RoutePattern
from proxy.validation import Shape, load_table
from rollout.controller import ABORTED, PAUSED, ROLLED_BACK, RUNNING, state_row
from rollout.models import RolloutState, RouteChange
from rollout.plan import Plan, plans
from rollout.route_file import flip_route


class RolloutError(ValueError):
    """The route has no rollout plan, or the operation does not apply to its state."""


@dataclass(frozen=True)
class RouteRollout:
    """One planned route as ``rollout status`` shows it."""

    plan: Plan
    step: str
    row: RolloutState | None

    def as_dict(self, now: datetime) -> dict[str, Any]:
        row = self.row
        verdict = json.loads(row.verdict) if row is not None and row.verdict else None
        since = row.since if row is not None and row.step == self.step else None
        return {
            "route": self.plan.route, "step": self.step, "plan": self.plan.as_dict(),
            "step_index": self.plan.index(self.step),
            "status": row.status if row is not None else RUNNING,
            "since": since.isoformat() if since else None,
            "seconds_on_step": round((now - since).total_seconds(), 1) if since else None,
            "evaluations": row.evaluations if row is not None else 0,
            "evaluated_at": row.evaluated_at.isoformat() if row and row.evaluated_at else None,
            "gate": verdict, "note": row.note if row is not None else None,
            "next": self.next_decision(now, verdict),
        }

    def next_decision(self, now: datetime, verdict: dict[str, Any] | None) -> str:
        """Return what the controller will do next, and when, in words."""
        row, plan = self.row, self.plan
        if plan.index(self.step) is None:
            return f"none: {self.step} is not a step of the plan"
        if row is not None and row.status != RUNNING:
            return f"none while {row.status}: `strangler rollout resume {plan.route}`"
        following = plan.next_step(self.step)
        if verdict is None:
            return "first evaluation at the controller's next tick"
        if verdict["decision"] == "pass" and row is not None and row.passing_since:
            if following is None:
                return "none: last step (still guarded: a breach rolls back)"
            left = plan.hold - (now - row.passing_since).total_seconds()
            return f"promote to {following.name} in {max(0, round(left))}s if the gate holds"
        if verdict["decision"] == "breach":
            return "roll back" if plan.on_breach == "rollback" else "pause"
        return "wait: " + "; ".join(verdict.get("reasons") or ["gate not yet passed"])


def rollouts(routes_file: Path) -> list[RouteRollout]:
    """Return every route with a plan, its current step and its stored state."""
    table = load_table(routes_file.read_text(), str(routes_file), None)
    entries = {route.template: route.entry for route in table.routes}
    rows = {row.route: row for row in db.session.scalars(sa.select(RolloutState))}
    return [RouteRollout(plan, state_name(entries[route]), rows.get(route))
            for route, plan in plans(table.config).items()]


def _planned(routes_file: Path, route: str) -> RouteRollout:
    template = RoutePattern.parse(route).template
    found = {r.plan.route: r for r in rollouts(routes_file)}
    if template not in found:
        raise RolloutError(f"{template} has no rollout plan in {routes_file}")
    return found[template]


def _audit(rollout: RouteRollout, actor: str, reason: str) -> None:
    db.session.add(RouteChange(route=rollout.plan.route, from_state=rollout.step,
                               to_state=rollout.step, actor=actor, reason=reason))


def pause(routes_file: Path, route: str, *, actor: str, reason: str | None = None) -> str:
    """Stop promoting and rolling back ``route`` (it stays on its step)."""
    rollout = _planned(routes_file, route)
    row = state_row(rollout.plan.route, rollout.step, utcnow())
    if row.status == PAUSED:
        raise RolloutError(f"{rollout.plan.route} is already paused")
    row.status, row.note = PAUSED, f"paused by {actor}" + (f": {reason}" if reason else "")
    _audit(rollout, actor, "rollout " + row.note)
    db.session.commit()
    return row.note


def resume(routes_file: Path, route: str, *, actor: str, reason: str | None = None) -> str:
    """Let the controller act on ``route`` again, its step's evidence counted from now."""
    rollout = _planned(routes_file, route)
    row = state_row(rollout.plan.route, rollout.step, utcnow())
    if row.status == RUNNING:
        raise RolloutError(f"{rollout.plan.route} is already running")
    was = row.status
    row.status, row.step, row.since, row.passing_since = RUNNING, rollout.step, utcnow(), None
    row.note = f"resumed by {actor} (was {was})" + (f": {reason}" if reason else "")
    _audit(rollout, actor, "rollout " + row.note)
    db.session.commit()
    return row.note


def abort(routes_file: Path, route: str, *, actor: str, reason: str | None = None,
          shapes: set[Shape] | None = None) -> str:
    """Move ``route`` back to its plan's first step now and stop its rollout."""
    rollout = _planned(routes_file, route)
    first = rollout.plan.steps[0]
    note = f"rollout aborted by {actor}" + (f": {reason}" if reason else "")
    change = flip_route(routes_file, rollout.plan.route, first, actor=actor, reason=note,
                        shapes=shapes)
    if change is None:
        _audit(rollout, actor, note)
    row = state_row(rollout.plan.route, first.name, utcnow())
    row.status, row.step, row.since, row.passing_since, row.note = \
        ABORTED, first.name, utcnow(), None, note
    db.session.commit()
    return f"{rollout.plan.route}: {rollout.step} -> {first.name}; {note}"


__all__ = ["ABORTED", "PAUSED", "ROLLED_BACK", "RUNNING", "RolloutError", "RouteRollout",
           "abort", "pause", "resume", "rollouts"]
