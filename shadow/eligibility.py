"""Which requests are mirrored: the sampling fraction and write safety."""

from __future__ import annotations

import enum
import random
from collections.abc import Iterable

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DRY_RUN = "dry-run"


class Submission(enum.StrEnum):
    """What Mirror.submit did with a request."""

    MIRRORED = "mirrored"
    UNSAMPLED = "unsampled"
    SKIPPED_UNSAFE = "skipped_unsafe"
    SKIPPED_OVERLOAD = "skipped_overload"
    FAILED = "failed"  # shadow itself broke; logged, the caller is unaffected


class Sampler:
    """Decide whether a request is compared: a fraction 0..1 of eligible requests."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.Random()

    def sampled(self, fraction: float) -> bool:
        """Return True for about ``fraction`` of calls (always for 1, never for 0)."""
        if fraction >= 1.0:
            return True
        if fraction <= 0.0:
            return False
        return self.rng.random() < fraction


def mirrorable(method: str, writes: str | None = None, safe: Iterable[str] = SAFE_METHODS) -> bool:
    """Tell whether a request with ``method`` may be sent to the candidate.

    Safe methods always may; any other only when the route opted into ``writes: dry-run``
    (the candidate runs the write in a transaction that is rolled back).
    """
    return method.upper() in safe or writes == DRY_RUN
