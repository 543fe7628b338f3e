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

from shadow.layers import first, setting
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
        return cls(
            rules=Rules.from_settings(defaults, route),
            sample=first("sample", route, defaults, fallback=1.0),
            timeout=first("timeout", route, defaults, fallback=None),
            max_in_flight=setting(route, "max_in_flight"),
            calibrate=first("calibrate", route, defaults, fallback=0.0),
            writes=setting(route, "writes"),
        )
