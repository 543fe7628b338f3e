"""The documented shape of routes.yaml, as pydantic models the validator applies."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

Side = Literal["legacy", "flask"]
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Seconds = Annotated[float, Field(gt=0.0, le=600.0)]


class Strict(BaseModel):
    """Reject unknown keys everywhere: a typo must never be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Timeouts(Strict):
    connect: Seconds = 1.0
    read: Seconds = 10.0
    pool: Seconds = 1.0


class LegacySettings(Strict):
    url: str = "http://127.0.0.1:3000"
    timeouts: Timeouts = Timeouts()

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")


class ShadowDefaults(Strict):
    """Defaults for shadowed routes (used by shadow/)."""

    sample: Fraction = 1.0
    timeout: Seconds = 5.0
    max_in_flight: Annotated[int, Field(ge=1, le=10_000)] = 32
    calibrate: Fraction = 0.0
    # Comparison rules for every shadowed route (shadow.rules.SETTING_KEYS); a route adds its own.
    ignore: list[str] = []
    unordered: list[str] = []
    headers: list[str] = []
    excuse_server_errors: bool | None = None  # None: shadow.Rules' default (true)
    compare_reason: bool | None = None  # None: shadow.Rules' default (true)
    # Compare requests no route matches (served by ``default``) with this side, under the
    # pseudo-route UNMATCHED_ROUTE; None: never compared.
    unmatched: Side | None = None


class CaptureDefaults(Strict):
    """Traffic capture (docs/replay.md): which exchanges the proxy keeps for replay.

    ``fraction`` of a route's requests is kept (0: none), at most ``max_per_hour`` per route
    and worker per clock hour, each body up to ``max_body`` bytes (a longer exchange is not
    kept); ``redact`` adds field paths (rule syntax, e.g. ``body.user.email``) replaced like
    credentials; captures older than ``keep_days`` are pruned by the writer.
    """

    fraction: Fraction = 0.0
    max_per_hour: Annotated[int, Field(ge=1, le=1_000_000)] = 1000
    max_body: Annotated[int, Field(ge=0, le=16 * 1024 * 1024)] = 256 * 1024
    redact: list[str] = []
    keep_days: Annotated[int, Field(ge=1, le=3650)] = 14


class RouteCapture(Strict):
    """A route's own capture settings; an unset one is the global ``capture:`` value."""

    fraction: Fraction | None = None
    max_per_hour: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    max_body: Annotated[int, Field(ge=0, le=16 * 1024 * 1024)] | None = None
    redact: list[str] = []
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _seconds(value: object) -> object:
    """Read a duration: a number of seconds or ``500ms``, ``30s``, ``30m``, ``1h``, ``1d``."""
    if isinstance(value, str):
        text = value.strip()
        for unit in sorted(_UNITS, key=len, reverse=True):
            number = text.removesuffix(unit)
            if number != text:
                try:
                    return float(number) * _UNITS[unit]
                except ValueError:
                    break
        raise ValueError(f"{value!r} is not a duration: a number of seconds, or N with ms, s,"
                         " m, h or d (30m, 1h)")
    return value


Duration = Annotated[float, BeforeValidator(_seconds), Field(gt=0.0, le=30 * 86400.0)]
Percent = Annotated[float, Field(gt=0.0, le=100.0)]
DEFAULT_STEPS = ("shadow", "canary 1", "canary 10", "canary 50", "flask")


class RolloutGate(Strict):
    """What a step must show before the next one, and what counts as a breach (rollout/)."""

    parity: Percent = 99.0
    min_comparisons: Annotated[int, Field(ge=1)] = 500
    window: Duration = 1800.0
    candidate_errors: Annotated[int, Field(ge=0)] = 0
    latency_ratio_p99: Annotated[float, Field(gt=0.0)] | None = 1.5  # None: not gated


class RolloutDefaults(Strict):
    """The top-level ``rollout:`` section: the plan of each route saying ``rollout: default``."""

    steps: list[str] = list(DEFAULT_STEPS)
    gate: RolloutGate = RolloutGate()
    hold: Duration = 3600.0
    on_breach: Literal["rollback", "pause"] = "rollback"


class GateOverrides(Strict):
    parity: Percent | None = None
    min_comparisons: Annotated[int, Field(ge=1)] | None = None
    window: Duration | None = None
    candidate_errors: Annotated[int, Field(ge=0)] | None = None
    latency_ratio_p99: Annotated[float, Field(gt=0.0)] | None = None


class RolloutOverrides(Strict):
    """A route's own ``rollout:`` mapping: any key it gives replaces the default's."""

    steps: list[str] | None = None
    gate: GateOverrides = GateOverrides()
    hold: Duration | None = None
    on_breach: Literal["rollback", "pause"] | None = None


class Weights(Strict):
    """A sticky canary: percentages of users served by each side, summing to 100."""

    flask: Annotated[int, Field(ge=0, le=100)]
    legacy: Annotated[int, Field(ge=0, le=100)]

    @model_validator(mode="after")
    def _sum_to_100(self) -> Weights:
        if self.flask + self.legacy != 100:
            raise ValueError(f"weights must sum to 100, got {self.flask + self.legacy}")
        return self


class RouteEntry(Strict):
    """One operation: who serves it and who is compared."""

    route: str
    serve: Side | Weights
    shadow: Side | bool = False
    sample: Fraction | None = None
    timeout: Seconds | None = None
    max_in_flight: Annotated[int, Field(ge=1, le=10_000)] | None = None
    calibrate: Fraction | None = None
    writes: Literal["skip", "dry-run"] = "skip"
    ignore: list[str] = []
    unordered: list[str] = []
    headers: list[str] = []
    excuse_server_errors: bool | None = None  # None: the global setting
    capture: RouteCapture | None = None  # None: the global ``capture:`` settings
    # Promoted and rolled back by ``strangler rollout run``; None: moved by hand only.
    rollout: Literal["default"] | RolloutOverrides | None = None
    compare_reason: bool | None = None  # None: the global setting

    @model_validator(mode="after")
    def _shadow_is_the_other_side(self) -> RouteEntry:
        if isinstance(self.serve, Weights):
            if self.shadow not in (True, False):
                raise ValueError("a canary route takes shadow: true or false")
        elif self.shadow == self.serve:
            raise ValueError(f"shadow: {self.shadow} compares the side that serves")
        if self.writes == "dry-run" and self.shadow_side == "legacy":
            raise ValueError("writes: dry-run needs the Flask backend as candidate;"
                             " legacy as candidate never receives writes")
        return self

    @property
    def shadow_side(self) -> Side | Literal["both"] | None:
        """Return the side compared: the named one, "both" for a shadowed canary, or None."""
        if self.shadow is False:
            return None
        if self.shadow is True:
            if isinstance(self.serve, Weights):
                return "both"
            return "flask" if self.serve == "legacy" else "legacy"
        return self.shadow


class RouteFile(Strict):
    """The whole of routes.yaml."""

    legacy: LegacySettings = LegacySettings()
    default: Side = "legacy"
    shadow: ShadowDefaults = ShadowDefaults()
    capture: CaptureDefaults = CaptureDefaults()
    rollout: RolloutDefaults = RolloutDefaults()
    routes: list[RouteEntry] = []

    @model_validator(mode="after")
    def _capture_paths_parse(self) -> RouteFile:
        from shadow.paths import FieldPath

        for path in [*self.capture.redact,
                     *(p for r in self.routes if r.capture for p in r.capture.redact)]:
            try:
                FieldPath.parse(path)
            except ValueError as error:
                raise ValueError(f"capture redact path {path!r}: {error}") from None
        return self

    @model_validator(mode="after")
    def _unmatched_is_the_other_side(self) -> RouteFile:
        if self.shadow.unmatched is not None and self.shadow.unmatched == self.default:
            raise ValueError(f"shadow.unmatched: {self.shadow.unmatched} compares the side"
                             " that serves unmatched requests (default)")
        return self
