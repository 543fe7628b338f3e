"""The dashboard's hands on routes.yaml: the file the app serves from, read, flipped, audited.

Every operation is rollout.route_file's, the same code as ``strangler routes ...`` and
``strangler parity noise --accept``: validated before writing, comments kept, written
atomically, audited in route_changes. This module only binds them to the app (its
ROUTES_FILE, the backend's URL map) and maps the form's fields to a lifecycle state.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app

from proxy.lifecycle import CANARY, RouteState
from rollout import route_file
from rollout.models import RouteChange
from rollout.route_file import RouteFileView


def routes_file() -> Path:
    """Return the routes.yaml the proxy serves from."""
    return Path(current_app.config["ROUTES_FILE"])


def read_routes() -> RouteFileView:
    """Read and validate routes.yaml as it is on disk now."""
    return route_file.read_routes(routes_file())


def requested_state(state: str, percent: str | None) -> RouteState:
    """Build the state an operator picked (canary with its percentage); ValueError if none."""
    return RouteState.canary(percent) if state == CANARY else RouteState.parse(state)


def flip(route: str, state: RouteState, *, actor: str, reason: str | None) -> RouteChange | None:
    """Put ``route`` in ``state``; None if it already was."""
    return route_file.flip_route(routes_file(), route, state, actor=actor, reason=reason,
                                 shapes=shapes())


def accept_noise(route: str, path: str, *, actor: str) -> RouteChange | None:
    """Add ``path`` to ``route``'s ``ignore:`` list; None if it was already ignored."""
    return route_file.add_ignore_rules(routes_file(), route, [path], actor=actor,
                                       reason="noise accepted in the dashboard", shapes=shapes())


def shapes():
    runtime = current_app.extensions.get("strangler")
    return runtime.shapes() if runtime is not None else None
