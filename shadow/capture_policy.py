"""A route's capture policy: which exchanges the proxy keeps (routes.yaml ``capture:``).

Resolved once per route when the table is loaded (``proxy.table``); light, so the route
commands that load the table import nothing of the capture store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shadow.layers import first, setting
from shadow.paths import FieldPath


@dataclass(frozen=True, slots=True)
class Policy:
    """One route's capture settings, resolved from ``capture:`` and the route's own entry."""

    fraction: float = 0.0
    max_per_hour: int = 1000
    max_body: int = 256 * 1024
    redact: tuple[FieldPath, ...] = ()
    keep_days: int = 14

    @classmethod
    def from_settings(cls, defaults: Any = None, route: Any = None) -> Policy:
        """Resolve a route's policy: the route's own value, else the global ``capture:``."""
        paths = [*(setting(defaults, "redact") or ()), *(setting(route, "redact") or ())]
        return cls(
            fraction=float(first("fraction", route, defaults, fallback=0.0)),
            max_per_hour=int(first("max_per_hour", route, defaults, fallback=1000)),
            max_body=int(first("max_body", route, defaults, fallback=256 * 1024)),
            redact=tuple(FieldPath.parse(p) for p in dict.fromkeys(paths)),
            keep_days=int(setting(defaults, "keep_days") or 14),
        )
