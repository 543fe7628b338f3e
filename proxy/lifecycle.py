"""The lifecycle of a route, declared once: its states and the serve/shadow pair of each.

A route moves legacy -> shadow -> canary N -> flask -> flask alone (Flask serves, nobody is
compared any more). These names are the domain's: the audit log stores them, the CLI, the
dashboard and the ``strangler_route_state`` metric show them. How a user asks for a state
(``strangler routes set ROUTE flask --no-shadow``, a form field) is mapped to one of these
at that edge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from proxy.schema import RouteEntry, Weights

LEGACY = "legacy"
SHADOW = "shadow"
CANARY = "canary"  # takes a percentage: "canary 25" (Flask serves 25% of users)
FLASK = "flask"
FLASK_ALONE = "flask alone"
STATES = (LEGACY, SHADOW, CANARY, FLASK, FLASK_ALONE)

_CANARY = re.compile(r"^canary (\d{1,2})$")


@dataclass(frozen=True)
class RouteState:
    """A step of the route lifecycle and the serve/shadow values it stands for."""

    name: str

    @classmethod
    def parse(cls, name: str) -> RouteState:
        """Accept legacy, shadow, canary N (1..99), flask, flask alone."""
        name = " ".join(name.split())
        match = _CANARY.match(name)
        if name in (LEGACY, SHADOW, FLASK, FLASK_ALONE) or (
            match and 1 <= int(match.group(1)) <= 99
        ):
            return cls(name)
        raise ValueError(f"unknown state {name!r}: legacy, shadow, canary N (1-99), flask,"
                         " flask alone")

    @classmethod
    def canary(cls, percent: object) -> RouteState:
        """Return ``canary N``; raise ValueError unless N is a percentage from 1 to 99."""
        return cls.parse(f"{CANARY} {str(percent or '').strip()}")

    def values(self) -> tuple[str | dict[str, int], str | bool]:
        """Return the (serve, shadow) values of this state, as routes.yaml writes them."""
        if self.name.startswith(CANARY + " "):
            percent = int(self.name.split()[1])
            return {"flask": percent, "legacy": 100 - percent}, True
        values: dict[str, tuple[str, str | bool]] = {
            LEGACY: (LEGACY, False),
            SHADOW: (LEGACY, FLASK),
            FLASK: (FLASK, LEGACY),
            FLASK_ALONE: (FLASK, False),
        }
        return values[self.name]


def state_name(entry: RouteEntry) -> str:
    """Return the lifecycle state a route entry is in (its serve/shadow pair, by name)."""
    if isinstance(entry.serve, Weights):
        return f"{CANARY} {entry.serve.flask}"
    if entry.serve == "legacy":
        return LEGACY if entry.shadow_side is None else SHADOW
    return FLASK if entry.shadow_side is not None else FLASK_ALONE
