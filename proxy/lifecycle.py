"""The lifecycle of a route: which state its serve/shadow pair stands for, by name.

A route moves legacy -> shadow -> canary N -> flask (-> flask alone, nobody compared). The
names are the ones the audit log, the CLI, the dashboard and the ``strangler_route_state``
metric show.
"""

from __future__ import annotations

from proxy.schema import RouteEntry, Weights


def state_name(entry: RouteEntry) -> str:
    """Return the lifecycle state a route entry is in (its serve/shadow pair, by name)."""
    if isinstance(entry.serve, Weights):
        return f"canary {entry.serve.flask}"
    if entry.serve == "legacy":
        return "legacy" if entry.shadow_side is None else "shadow"
    return "flask" if entry.shadow_side is not None else "flask --no-shadow"
