"""The dashboard's view of routes.yaml: read the file in force, flip a route, read the audit.

Flips go through ``rollout.flips.flip_route``, the same code as ``strangler routes set``, and
accepted noise through ``rollout.flips.add_ignore_rules``, the same code as ``strangler parity
noise --accept``: validated before writing, comments kept, written atomically, audited in
route_changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from backend.database import db
from proxy.schema import RouteEntry
from proxy.validation import RouteFileError, load_table
from rollout.flips import RouteState, add_ignore_rules, flip_route, state_name
from rollout.models import RouteChange

# The states an operator can pick (canary takes a percentage).
STATES = ("legacy", "shadow", "canary", "flask", "flask --no-shadow")


@dataclass(frozen=True)
class RouteFileView:
    """The routes listed in routes.yaml, or why the file could not be read."""

    entries: dict[str, RouteEntry]
    default: str
    problems: list[str]


def routes_file() -> Path:
    """Return the routes.yaml the proxy serves from."""
    return Path(current_app.config["ROUTES_FILE"])


def read_routes() -> RouteFileView:
    """Read and validate routes.yaml as it is on disk now."""
    path = routes_file()
    try:
        table = load_table(path.read_text(), str(path), None)
    except OSError as error:
        return RouteFileView({}, "legacy", [f"{path}: {error.strerror}"])
    except RouteFileError as error:
        return RouteFileView({}, "legacy", error.problems)
    entries = {route.template: route.entry for route in table.routes}
    return RouteFileView(entries, table.config.default, [])


def state_of(entry: RouteEntry | None, default: str) -> str:
    """Return a route's lifecycle state; an unlisted route is served by the default side."""
    return state_name(entry) if entry is not None else f"default ({default})"


def requested_state(state: str, percent: str | None) -> RouteState:
    """Build the state an operator asked for; raise ValueError if it is not one."""
    if state == "canary":
        state = f"canary {(percent or '').strip()}"
    return RouteState.parse(state)


def flip(route: str, state: RouteState, *, actor: str, reason: str | None) -> RouteChange | None:
    """Put ``route`` in ``state`` through the proxy's flip code; None if it already was."""
    return flip_route(routes_file(), route, state, actor=actor, reason=reason, shapes=_shapes())


def accept_noise(route: str, path: str, *, actor: str) -> RouteChange | None:
    """Add ``path`` to ``route``'s ``ignore:`` list; None if it was already ignored."""
    return add_ignore_rules(routes_file(), route, [path], actor=actor,
                            reason="noise accepted in the dashboard", shapes=_shapes())


def _shapes():
    runtime = current_app.extensions.get("strangler")
    return runtime.shapes() if runtime is not None else None


def audit_log(limit: int = 200, route: str | None = None) -> list[RouteChange]:
    """Return the newest route changes first."""
    query = sa.select(RouteChange).order_by(RouteChange.changed_at.desc(), RouteChange.id.desc())
    if route is not None:
        query = query.where(RouteChange.route == route)
    return list(db.session.scalars(query.limit(limit)))
