"""The documented shape of routes.yaml, as pydantic models the validator applies."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    routes: list[RouteEntry] = []

    @model_validator(mode="after")
    def _unmatched_is_the_other_side(self) -> RouteFile:
        if self.shadow.unmatched is not None and self.shadow.unmatched == self.default:
            raise ValueError(f"shadow.unmatched: {self.shadow.unmatched} compares the side"
                             " that serves unmatched requests (default)")
        return self
