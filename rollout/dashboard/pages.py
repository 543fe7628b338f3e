"""The dashboard's pages: overview, route page, audit log, and the operators' controls."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from proxy.lifecycle import STATES
from proxy.patterns import PatternError
from proxy.schema import RouteEntry
from proxy.table import UNMATCHED_ROUTE
from proxy.validation import RouteFileError
from rollout import route_file
from rollout.dashboard import edits, parity
from rollout.dashboard.blueprint import bp
from rollout.dashboard.chart import parity_chart
from rollout.dashboard.jsondiff import side_by_side
from rollout.dashboard.login import operator_required
from rollout.dashboard.readiness import (
    RouteRow,
    Thresholds,
    coverage_warning,
    judge,
    overview_rows,
)
from rollout.legacy import SECTIONS, LegacyStatus, legacy_status, table_needs

WINDOWS = {"1h": timedelta(hours=1), "24h": timedelta(days=1), "7d": timedelta(days=7)}


def _window() -> tuple[str, timedelta]:
    name = request.args.get("window", "24h")
    return (name, WINDOWS[name]) if name in WINDOWS else ("24h", WINDOWS["24h"])


def _thresholds() -> Thresholds:
    config = current_app.config
    return Thresholds(config["READY_PARITY"], config["READY_COMPARISONS"],
                      config["READY_LATENCY_RATIO"])


def _rows(window: timedelta) -> tuple[list[RouteRow], route_file.RouteFileView]:
    view = edits.read_routes()
    states: dict[str, tuple[str, RouteEntry | None]] = {
        route: (view.state_of(route), entry) for route, entry in view.entries.items()}
    unlisted = f"default ({view.default})"
    return overview_rows(states, parity.figures_by_route(window), _thresholds(), unlisted), view


def route_url(route: str, endpoint: str = "dashboard.route_page", **values: Any) -> str:
    """Return the URL of a route's page: ``/routes/GET/api/articles/:slug``.

    The pseudo-route of unmatched requests has its page at ``/routes/unmatched``.
    """
    if route == UNMATCHED_ROUTE and endpoint == "dashboard.route_page":
        return url_for("dashboard.unmatched_page", **values)
    method, _, path = route.partition(" ")
    return url_for(endpoint, method=method, path=path.lstrip("/"), **values)


def state_label(state: str) -> str:
    """Show ``canary 25`` as ``canary 25%`` (the share of users Flask serves)."""
    return f"{state}%" if state.startswith("canary ") else state


bp.add_app_template_filter(state_label, "state_label")
bp.add_app_template_global(route_url, "route_url")
bp.add_app_template_global(parity_chart, "parity_chart")


@bp.route("/")
def overview() -> str:
    """List every route with its state, parity and readiness, what needs attention first."""
    name, window = _window()
    rows, view = _rows(window)
    return render_template("dashboard/overview.html", rows=rows, window=name, windows=WINDOWS,
                           problems=view.problems, limits=_thresholds())


@bp.route("/api/overview")
def overview_json() -> Response:
    """Return the overview as JSON."""
    name, window = _window()
    rows, view = _rows(window)
    return jsonify(window=name, problems=view.problems, routes=[
        {"route": r.route, "state": r.state, "verdict": r.readiness, "reason": r.reason,
         "warning": r.warning,
         **r.figures.as_dict()} for r in rows
    ])


@bp.route("/routes/<method>/<path:path>")
def route_page(method: str, path: str) -> str:
    """Show one route: parity over time, differing paths, sampled mismatches, noise."""
    return _route_page(f"{method.upper()} /{path}")


@bp.route("/routes/unmatched")
def unmatched_page() -> str:
    """Show the comparisons of requests no route matches (routes.yaml's shadow.unmatched)."""
    return _route_page(UNMATCHED_ROUTE)


def _route_page(route: str, rerun: dict[str, Any] | None = None) -> str:
    name, window = _window()
    view = edits.read_routes()
    entry = view.entries.get(route)
    detail = parity.route_detail(route, window)
    diffs = [side_by_side(m.control, m.candidate, [d["path"] for d in m.sample.differences])
             for m in detail.mismatches]
    limits = _thresholds()
    verdict = judge(detail.figures, entry is not None and entry.shadow_side is not None, limits)
    return render_template(
        "dashboard/route.html", route=route, state=view.state_of(route),
        entry=entry, detail=detail, diffs=diffs, window=name, windows=WINDOWS,
        verdict=verdict, limits=limits, warning=coverage_warning(detail.figures),
        pseudo=route == UNMATCHED_ROUTE,
        changes=route_file.audit_log(limit=20, route=route), problems=view.problems,
        states=STATES, rerun=rerun,
    )


def _refused(what: str, error: Exception, route: str) -> ResponseReturnValue:
    """Flash why a route edit was refused (each validation problem) and go back to the route."""
    problems = error.problems if isinstance(error, RouteFileError) else [str(error)]
    for problem in problems:
        flash(f"{what}: {problem}", "error")
    return redirect(route_url(route))


@bp.route("/routes/<method>/<path:path>/flip", methods=["POST"])
@operator_required
def flip(method: str, path: str) -> ResponseReturnValue:
    """Move a route to another lifecycle state (operators only)."""
    route = f"{method.upper()} /{path}"
    reason = request.form.get("reason", "").strip() or None
    try:
        state = edits.requested_state(request.form.get("state", ""),
                                        request.form.get("percent"))
        change = edits.flip(route, state, actor=current_user.username, reason=reason)
    except (ValueError, PatternError) as error:
        return _refused("Not flipped", error, route)
    if change is None:
        flash(f"{route} already is {state.name}; nothing changed.", "info")
    else:
        flash(f"{change.route}: {change.from_state} → {change.to_state}", "ok")
    return redirect(route_url(route))


@bp.route("/routes/<method>/<path:path>/ignore", methods=["POST"])
@operator_required
def accept_noise(method: str, path: str) -> ResponseReturnValue:
    """Accept a noise candidate as an ignore rule of the route (operators only)."""
    route = f"{method.upper()} /{path}"
    field = request.form.get("path", "").strip()
    try:
        change = edits.accept_noise(route, field, actor=current_user.username)
    except (ValueError, PatternError) as error:
        return _refused("Not ignored", error, route)
    if change is None:
        flash(f"{route} already ignores {field}; nothing changed.", "info")
    else:
        flash(f"{route}: now ignores {field}", "ok")
    return redirect(route_url(route))


@bp.route("/routes/<method>/<path:path>/rerun", methods=["POST"])
@operator_required
def rerun(method: str, path: str) -> ResponseReturnValue:
    """Re-run a sampled mismatch's captured request against the candidate (operators only):
    as live shadow mode calls it, reads read-only and writes as dry-runs (docs/replay.md)."""
    from pathlib import Path

    from backend.database import db
    from rollout import replay

    route = f"{method.upper()} /{path}"
    rid = request.form.get("request_id", "").strip()
    try:
        rules = replay.rules_by_route(replay.routes_config(Path(current_app.config["ROUTES_FILE"])))
        result = replay.rerun(db.engine, rid, rules) if rid else None
    except (OSError, RouteFileError) as error:
        return _refused("Not re-run", error, route)
    if result is None:
        flash(f"Request {rid or '-'} was not captured (routes.yaml capture: keeps the requests"
              " a re-run needs).", "error")
        return redirect(route_url(route))
    return _route_page(route, rerun=result.as_dict())
def _legacy(window: timedelta) -> LegacyStatus:
    from backend.database import db

    try:
        needs = table_needs(Path(current_app.config["ROUTES_FILE"]))
    except (OSError, RouteFileError) as error:
        needs = [f"the route table cannot be read: {error}"]
    return legacy_status(db.engine, needs, window)


@bp.route("/legacy")
def legacy_page() -> str:
    """Show what still reached legacy in the window, and whether it can be switched off."""
    name, window = _window()
    return render_template("dashboard/legacy.html", status=_legacy(window), window=name,
                           windows=WINDOWS, sections=SECTIONS)


@bp.route("/api/legacy")
def legacy_json() -> Response:
    """Return the legacy status as JSON (``strangler legacy status --json``'s object)."""
    name, window = _window()
    return jsonify(window=name, **_legacy(window).as_dict())


@bp.route("/audit")
def audit() -> str:
    """Show every route flip, newest first."""
    return render_template("dashboard/audit.html", changes=route_file.audit_log(limit=200))
