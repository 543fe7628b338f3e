"""The route table: match a request to its route and decide which side serves it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from proxy.canary import choose_side, identity
from proxy.patterns import RoutePattern
from proxy.schema import RouteEntry, RouteFile, Side, Weights
from shadow import Experiment
from shadow.capture_policy import Policy

UNMATCHED_ROUTE = "(unmatched)"  # the parity store's name for requests no route matches
# The route an OPTIONS request without Access-Control-Request-Method belongs to, when
# several routes share its path: the first method of this list that has one.
OWNER_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    """A compiled routes.yaml entry."""

    pattern: RoutePattern
    entry: RouteEntry

    @property
    def template(self) -> str:
        return self.pattern.template


@dataclass(frozen=True)
class RouteDecision:
    """What the proxy does with one request: the route (None if unlisted) and the side."""

    route: Route | None
    side: Side
    path: str

    @property
    def template(self) -> str:
        """Return the metric/log label: the route template, never the raw path."""
        return self.route.template if self.route else "unmatched"

    @property
    def compared_as(self) -> str:
        """Return the route its comparisons are recorded under (unmatched: UNMATCHED_ROUTE)."""
        return self.route.template if self.route else UNMATCHED_ROUTE


@dataclass
class RouteTable:
    """The validated route file, indexed for matching."""

    config: RouteFile
    version: str = ""
    routes: list[Route] = field(default_factory=list)
    experiments: dict[str, Experiment] = field(default_factory=dict)
    captures: dict[str, Policy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.routes = [Route(RoutePattern.parse(e.route), e) for e in self.config.routes]
        # Each shadowed route's settings, resolved once (validation refused bad rules already).
        self.experiments = {r.template: Experiment.from_settings(self.config.shadow, r.entry)
                            for r in self.routes if r.entry.shadow_side is not None}
        # Each captured route's policy (shadow.capture); routes keeping nothing are left out.
        self.captures = {r.template: policy for r in self.routes
                         if (policy := Policy.from_settings(self.config.capture,
                                                            r.entry.capture)).fraction > 0}
        # Requests no route matches are compared only when ``shadow.unmatched`` names a side.
        self.unmatched_experiment = (Experiment.from_settings(self.config.shadow, None)
                                     if self.config.shadow.unmatched is not None else None)
        self._exact: dict[tuple[str, tuple[str | None, ...]], Route] = {}
        self._by_shape: dict[tuple[str, int], list[Route]] = {}
        for route in self.routes:
            p = route.pattern
            if None not in p.segments:
                self._exact[(p.method, p.segments)] = route
            self._by_shape.setdefault((p.method, len(p.segments)), []).append(route)
        for candidates in self._by_shape.values():
            candidates.sort(key=lambda r: r.pattern.specificity())

    def legacy_needs(self) -> list[str]:
        """Return why legacy still receives requests under this table (empty: it can go).

        Legacy receives what ``default`` sends it (every request no route matches, preflights
        included), what a route or a canary's share serves from it, and the mirrored calls of
        routes and unmatched requests it is compared on.
        """
        needs = []
        if self.config.default == "legacy":
            needs.append("default: legacy serves every request no route matches")
        if self.config.shadow.unmatched == "legacy":
            needs.append("shadow.unmatched: legacy is compared on requests no route matches")
        for route in self.routes:
            serve, compared = route.entry.serve, route.entry.shadow_side
            if serve == "legacy":
                needs.append(f"{route.template}: legacy serves it")
            elif isinstance(serve, Weights) and serve.legacy > 0:
                needs.append(f"{route.template}: legacy serves {serve.legacy}% (canary)")
            elif compared in ("legacy", "both"):
                needs.append(f"{route.template}: legacy is compared (shadow: {compared})")
        return needs

    @property
    def uses_legacy(self) -> bool:
        """Return whether legacy serves any request: the default, a route, a canary share."""
        if self.config.default == "legacy":
            return True
        return any(r.entry.serve == "legacy" or (isinstance(r.entry.serve, Weights)
                                                 and r.entry.serve.legacy > 0)
                   for r in self.routes)

    def experiment_for(self, decision: RouteDecision) -> Experiment | None:
        """Return how a decided request is compared, or None when it is not."""
        if decision.route is None:
            return self.unmatched_experiment
        return self.experiments.get(decision.route.template)

    def capture_for(self, decision: RouteDecision) -> Policy | None:
        """Return how a decided request is captured, or None (unmatched ones never are)."""
        if decision.route is None or not self.captures:
            return None
        return self.captures.get(decision.route.template)

    def match(self, method: str, segments: list[str]) -> Route | None:
        """Return the most specific route for ``method`` and canonical ``segments``."""
        route = self._match(method, segments)
        if route is None and method == "HEAD":
            route = self._match("GET", segments)
        return route

    def _owner(self, segments: list[str], environ: Mapping[str, Any]) -> Route | None:
        """Return the route an OPTIONS request on its path belongs to (it follows that route).

        A preflight belongs to the route of the method it asks about
        (Access-Control-Request-Method); a plain OPTIONS to the path's route, the first of
        OWNER_ORDER's methods that has one.
        """
        asked = str(environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "")).strip().upper()
        if asked and asked != "OPTIONS":
            return self.match(asked, segments)
        for method in OWNER_ORDER:
            route = self._match(method, segments)
            if route is not None:
                return route
        return None

    def _match(self, method: str, segments: list[str]) -> Route | None:
        lowered = tuple(s.lower() for s in segments)
        exact = self._exact.get((method, lowered))
        if exact is not None:
            return exact
        for route in self._by_shape.get((method, len(segments)), ()):
            if route.pattern.matches(segments):
                return route
        return None

    def decide(
        self,
        method: str,
        segments: list[str],
        environ: Mapping[str, Any],
        who: Callable[[Mapping[str, Any]], str] = identity,
    ) -> RouteDecision:
        """Return the route and serving side; the path is rebuilt in canonical form."""
        route = self.match(method, segments)
        if route is None and method == "OPTIONS":
            route = self._owner(segments, environ)
        if route is None:
            return RouteDecision(None, self.config.default, "/" + "/".join(segments))
        parts = [lit if lit is not None else seg for lit, seg in
                 zip(route.pattern.segments, segments, strict=True)]
        serve = route.entry.serve
        side = choose_side(serve, who(environ)) if isinstance(serve, Weights) else serve
        return RouteDecision(route, side, "/" + "/".join(parts))
