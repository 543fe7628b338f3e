"""The dashboard's rollout page: each plan, its gate against the thresholds, the history,
and the operators' pause, resume and abort (rollout.operator, as the CLI's)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from backend.database import db
from dbtypes import utcnow
from proxy.patterns import PatternError
from rollout import operator
from rollout.dashboard import edits
from rollout.dashboard.blueprint import bp
from rollout.dashboard.login import operator_required
from rollout.models import RouteChange
from rollout.route_file import read_routes


def _rows() -> list[dict[str, object]]:
    now = utcnow()
    return [r.as_dict(now) for r in operator.rollouts(edits.routes_file())]


@bp.route("/rollout")
def rollout_page() -> str:
    """Show every planned route: its steps, where it is, its gate, what happens next."""
    view = read_routes(edits.routes_file())
    rows = _rows() if not view.problems else []
    planned = [str(r["route"]) for r in rows]
    history = db.session.scalars(
        sa.select(RouteChange).where(RouteChange.route.in_(planned))
        .order_by(RouteChange.changed_at.desc(), RouteChange.id.desc()).limit(50)).all()
    return render_template("dashboard/rollout.html", rows=rows, changes=history,
                           problems=view.problems)


@bp.route("/api/rollout")
def rollout_json() -> Response:
    """Return the rollout status as JSON (``strangler rollout status --json``'s rows)."""
    return jsonify(routes=_rows())


@bp.route("/rollout/<action>/<method>/<path:path>", methods=["POST"])
@operator_required
def rollout_action(action: str, method: str, path: str) -> ResponseReturnValue:
    """Pause, resume or abort one route's rollout (operators only)."""
    route = f"{method.upper()} /{path}"
    if action not in ("pause", "resume", "abort"):
        flash(f"unknown rollout action {action!r}", "error")
        return redirect(url_for("dashboard.rollout_page"))
    actor = current_user.username
    try:
        if action == "abort":
            done = operator.abort(edits.routes_file(), route, actor=actor,
                                  reason="from the dashboard", shapes=edits.shapes())
        else:
            done = getattr(operator, action)(edits.routes_file(), route, actor=actor,
                                             reason="from the dashboard")
    except (ValueError, PatternError) as error:
        flash(f"Not done: {error}", "error")
    else:
        flash(done, "ok")
    return redirect(url_for("dashboard.rollout_page"))
