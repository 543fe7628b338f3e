"""A route's rollout plan, resolved once from routes.yaml: its steps, gate, hold and breach rule.

routes.yaml says ``rollout: default`` (the top-level ``rollout:`` section) or gives a mapping
whose keys replace the default's (``gate:`` key by key). proxy.validation has already refused
bad steps, so the steps parse here.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.lifecycle import RouteState
from proxy.patterns import RoutePattern
from proxy.schema import RolloutGate, RouteFile


@dataclass(frozen=True)
class Plan:
    """What the controller does with one route."""

    route: str
    steps: tuple[RouteState, ...]
    gate: RolloutGate
    hold: float  # seconds the gate must hold on a step before the next one
    on_breach: str  # "rollback" (to the first step) or "pause"

    def index(self, state: str) -> int | None:
        """Return the step a lifecycle state is, None if the plan does not list it."""
        return next((i for i, s in enumerate(self.steps) if s.name == state), None)

    def next_step(self, state: str) -> RouteState | None:
        index = self.index(state)
        if index is None or index + 1 >= len(self.steps):
            return None
        return self.steps[index + 1]

    def as_dict(self) -> dict[str, object]:
        return {"steps": [s.name for s in self.steps], "gate": self.gate.model_dump(),
                "hold": self.hold, "on_breach": self.on_breach}


def plans(config: RouteFile) -> dict[str, Plan]:
    """Return the plan of every route that has one, by route template, in file order."""
    found: dict[str, Plan] = {}
    defaults = config.rollout
    for entry in config.routes:
        own = entry.rollout
        if own is None:
            continue
        steps, gate, hold, on_breach = defaults.steps, defaults.gate, defaults.hold, \
            defaults.on_breach
        if own != "default":
            steps = own.steps or steps
            gate = gate.model_copy(update=own.gate.model_dump(exclude_none=True))
            hold = own.hold if own.hold is not None else hold
            on_breach = own.on_breach or on_breach
        template = RoutePattern.parse(entry.route).template
        found[template] = Plan(template, tuple(RouteState.parse(s) for s in steps), gate,
                               hold, on_breach)
    return found
