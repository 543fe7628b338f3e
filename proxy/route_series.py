"""Each route's metric series, created at zero when a table loads, and each route's state.

A labelled series exists only from its first increment, and Prometheus's ``increase`` cannot
see a rise from "absent" to 1: a route with a single comparison would show none. So when a
table is applied, every series its routes can produce (docs/monitoring.md) is created at
zero in this worker, and ``strangler_route_state`` says which lifecycle state each route is
in, for alerts that concern flipped and canary routes only.
"""

from __future__ import annotations

import threading

from proxy import metrics
from proxy.lifecycle import state_name
from proxy.schema import METHODS, RouteEntry, Side, Weights
from proxy.table import Route, RouteTable
from shadow import metrics as shadow_metrics
from shadow.eligibility import mirrorable
from shadow.observation import Outcome

UNMATCHED = "unmatched"
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
UPSTREAM_ERROR_KINDS = ("connect", "timeout", "pool", "protocol")
COMPARED = tuple(o for o in Outcome if o is not Outcome.SKIPPED_UNSAFE)

_lock = threading.Lock()
_states: dict[str, str] = {}  # the state this worker last published for each route


def publish(table: RouteTable) -> None:
    """Create the table's series at zero in this worker and set each route's state."""
    with _lock:
        for route in table.routes:
            _create(route.template, _methods(route), serving_sides(route.entry))
            shadow_metrics.prepare(route.template, outcomes(route))
        known = (*METHODS, metrics.OTHER_METHOD)
        _create(UNMATCHED, known, (table.config.default,))
        for method in known:  # refused before any route is matched: bad path, no table
            for status_class in ("4xx", "5xx"):
                metrics.REQUESTS.labels(UNMATCHED, method, status_class, "none")
        metrics.REQUEST_SECONDS.labels(UNMATCHED, "none")
        for kind in UPSTREAM_ERROR_KINDS:
            metrics.UPSTREAM_ERRORS.labels("legacy", kind)
        _set_states({route.template: state_name(route.entry) for route in table.routes})


def serving_sides(entry: RouteEntry) -> tuple[Side, ...]:
    """Return the sides that can serve the route: one, or both for a canary."""
    serve = entry.serve
    if not isinstance(serve, Weights):
        return (serve,)
    return tuple(side for side in ("flask", "legacy") if getattr(serve, side) > 0)


def outcomes(route: Route) -> tuple[Outcome, ...]:
    """Return the comparison outcomes the route can produce (none if it is not shadowed)."""
    if route.entry.shadow_side is None:
        return ()
    found: set[Outcome] = set()
    for served_by in serving_sides(route.entry):
        candidate = "legacy" if served_by == "flask" else "flask"
        writes = route.entry.writes if candidate == "flask" else None
        if mirrorable(route.pattern.method, writes):
            found.update(COMPARED)
        else:
            found.add(Outcome.SKIPPED_UNSAFE)
    return tuple(o for o in Outcome if o in found)


def _methods(route: Route) -> tuple[str, ...]:
    method = route.pattern.method
    return (method, "HEAD") if method == "GET" else (method,)  # HEAD falls back to GET routes


def _create(route: str, methods: tuple[str, ...], sides: tuple[str, ...]) -> None:
    for side in sides:
        for method in methods:
            for status_class in STATUS_CLASSES:
                metrics.REQUESTS.labels(route, method, status_class, side)
        metrics.REQUEST_SECONDS.labels(route, side)
        metrics.UPSTREAM_SECONDS.labels(route, side)


def _set_states(states: dict[str, str]) -> None:
    """Set 1 on each route's state and 0 on any other state this worker published before."""
    for route, state in _states.items():
        if states.get(route) != state:
            metrics.ROUTE_STATE.labels(route, state).set(0)
    for route, state in states.items():
        metrics.ROUTE_STATE.labels(route, state).set(1)
    _states.clear()
    _states.update(states)
