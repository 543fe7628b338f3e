"""A route's capture policy: which exchanges the proxy keeps (routes.yaml ``capture:``).

Resolved once per route when the table is loaded (``proxy.table``); light, so the route
commands that load the table import nothing of the capture store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

        def pick(key: str, fallback: Any) -> Any:
            for settings in (route, defaults):
                value = _setting(settings, key)
                if value is not None:
                    return value
            return fallback

        paths = [*(_setting(defaults, "redact") or ()), *(_setting(route, "redact") or ())]
        return cls(
            fraction=float(pick("fraction", 0.0)),
            max_per_hour=int(pick("max_per_hour", 1000)),
            max_body=int(pick("max_body", 256 * 1024)),
            redact=tuple(FieldPath.parse(p) for p in dict.fromkeys(paths)),
            keep_days=int(_setting(defaults, "keep_days") or 14),
        )


def _setting(settings: Any, key: str) -> Any:
    if settings is None:
        return None
    if isinstance(settings, dict):
        return settings.get(key)
    return getattr(settings, key, None)
