"""Bulkheads: each side's concurrency budget in one worker.

A side that stops answering (legacy SIGSTOPped, a database lock held) can only ever hold its
own budget of the worker's threads; past it, requests for that side get a fast 503 instead
of waiting for a thread, so the other side, /health and /metrics keep theirs.

``PROXY_LEGACY_CONCURRENCY`` and ``PROXY_FLASK_CONCURRENCY`` set the budgets; the default is
half the worker's threads (``GUNICORN_THREADS``, 16: 8 each), which leaves the other half
for the other side, the proxy's own pages and the fast 503s whichever side is sick. (Three
quarters left too few threads: the over-budget requests queued for them, and a Flask
route's p99 was ~120 ms with legacy stopped, against ~10-20 ms with half; make hostile,
docs/security.md.) Eight requests
in flight per worker and side is far more than a healthy legacy needs at the rates one
Python worker can forward.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from proxy import metrics

SIDES = ("legacy", "flask")


def default_budget(threads: int) -> int:
    """Return half the worker's threads (GUNICORN_THREADS; at least 1)."""
    return max(1, int(threads) // 2)


class Bulkhead:
    """At most ``size`` requests of one side at once in this worker."""

    def __init__(self, side: str, size: int) -> None:
        self.side = side
        self.size = size
        self._slots = threading.BoundedSemaphore(size)

    def enter(self) -> bool:
        """Take a slot without waiting; False (and counted) when the budget is spent."""
        if self._slots.acquire(blocking=False):
            metrics.SIDE_IN_FLIGHT.labels(self.side).inc()
            return True
        metrics.BULKHEAD_REJECTED.labels(self.side).inc()
        return False

    def leave(self) -> None:
        """Give the slot back."""
        metrics.SIDE_IN_FLIGHT.labels(self.side).dec()
        self._slots.release()


def bulkheads(config: Mapping[str, Any]) -> dict[str, Bulkhead]:
    """Return one Bulkhead per side, sized from ``config`` (LEGACY_/FLASK_CONCURRENCY)."""
    sides = {}
    for side in SIDES:
        value = config.get(f"{side.upper()}_CONCURRENCY") or default_budget(config["THREADS"])
        size = int(value) if str(value).isdigit() else 0
        if size < 1:
            raise ValueError(f"PROXY_{side.upper()}_CONCURRENCY must be a whole number of at "
                             f"least 1, got {value!r}")
        sides[side] = Bulkhead(side, size)
    return sides
