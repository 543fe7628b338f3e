"""The Experiment: one shadowed route's settings, resolved once when the routes load.

As GitHub Scientist's Experiment holds everything about comparing one code path, this holds
everything about comparing one route: its comparison ``Rules``, the fraction sampled, the
candidate timeout, its own in-flight cap, the fraction rechecked for noise calibration and
whether writes are mirrored (dry-run). The route's own setting wins over the global
``shadow:`` default; ``None`` means "the Mirror's".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shadow.rules import Rules


@dataclass(frozen=True, slots=True)
class Experiment:
    """How one route is compared; built by ``from_settings`` or given directly."""

    rules: Rules = Rules()
    sample: float = 1.0
    timeout: float | None = None
    max_in_flight: int | None = None
    calibrate: float = 0.0
    writes: str | None = None

    @classmethod
    def from_settings(cls, defaults: Any = None, route: Any = None) -> Experiment:
        """Resolve a route's settings: the route's own value, else the global default.

        Both arguments are mappings (routes.yaml as loaded) or objects with those attributes
        (the proxy's validated models). Raise RuleError on bad comparison rules.
        """
        rules = Rules.from_settings(defaults, route)

        def pick(key: str, fallback: Any) -> Any:
            for settings in (route, defaults):
                value = _setting(settings, key)
                if value is not None:
                    return value
            return fallback

        return cls(
            rules=rules,
            sample=pick("sample", 1.0),
            timeout=pick("timeout", None),
            max_in_flight=_setting(route, "max_in_flight"),
            calibrate=pick("calibrate", 0.0),
            writes=_setting(route, "writes"),
        )


def _setting(settings: Any, key: str) -> Any:
    if settings is None:
        return None
    if isinstance(settings, dict):
        return settings.get(key)
    return getattr(settings, key, None)
