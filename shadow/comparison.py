"""Comparison: the record of one mirrored request that publish hands to the store and metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from shadow.observation import Observation, Outcome, Result


@dataclass(frozen=True, slots=True)
class Comparison:
    """What happened to one shadowed request: route template, outcome, both sides' numbers."""

    route: str
    method: str
    outcome: Outcome
    control_side: str
    control_status: int | None = None
    candidate_status: int | None = None
    control_ms: float | None = None
    candidate_ms: float | None = None
    request_id: str | None = None
    compared_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    result: Result | None = None
    # Queued shadow: the exchange's key on the stream (stored once: a redelivered exchange
    # is not compared twice) and seconds from the request's arrival to this comparison.
    key: str | None = None
    lag: float | None = None

    @classmethod
    def of(
        cls,
        route: str,
        method: str,
        control_side: str,
        control: Observation,
        result: Result,
        *,
        candidate: Observation | None = None,
        candidate_seconds: float | None = None,
        request_id: str | None = None,
        key: str | None = None,
        lag: float | None = None,
    ) -> Comparison:
        """Build the record of a comparison from both observations and its Result."""
        return cls(
            route=route,
            method=method.upper(),
            outcome=result.outcome,
            control_side=control_side,
            control_status=control.status,
            candidate_status=candidate.status if candidate is not None else None,
            control_ms=_ms(control.duration),
            candidate_ms=_ms(candidate_seconds),
            request_id=request_id,
            result=result,
            key=key,
            lag=lag,
        )


class Publisher(Protocol):
    """Something told about every comparison and noise finding (the store writer, metrics)."""

    def comparison(self, comparison: Comparison) -> None:
        """Take one comparison; must not block the caller."""

    def noise(self, route: str, paths: list[str]) -> None:
        """Take the field paths that differed between two answers of the control."""


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000.0, 3)
