"""Prometheus metrics for shadow comparisons (multiprocess-safe through prometheus_client).

Under gunicorn set PROMETHEUS_MULTIPROC_DIR before the first import, as prometheus_client
requires; the proxy's /metrics then collects with ``multiprocess.MultiProcessCollector``.
The ``route`` label is always the route template (``GET /api/articles/:slug``).
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Histogram

from shadow.comparison import Comparison
from shadow.observation import Outcome

COMPARISONS = Counter(
    "shadow_comparisons",
    "Shadow comparisons by route template and outcome.",
    ["route", "outcome"],
)
CANDIDATE_SECONDS = Histogram(
    "shadow_candidate_seconds",
    "Time the candidate took to answer a mirrored request.",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
NOISE = Counter(
    "shadow_noise_paths",
    "Field paths seen differing between two answers of the control.",
    ["route"],
)
WRITER_DROPPED = Counter(
    "shadow_store_dropped",
    "Comparisons dropped because the parity store writer's queue was full.",
)
WRITER_FAILED = Counter(
    "shadow_store_failed",
    "Comparisons lost because writing them to the parity store failed.",
)


def prepare(route: str, outcomes: Iterable[Outcome]) -> None:
    """Create the route's series at zero, so that Prometheus sees its first comparison."""
    outcomes = list(outcomes)
    for outcome in outcomes:
        COMPARISONS.labels(route, str(outcome))
    if outcomes:
        CANDIDATE_SECONDS.labels(route)
        NOISE.labels(route)


class Metrics:
    """Publisher that counts comparisons and observes candidate latency."""

    def comparison(self, comparison: Comparison) -> None:
        """Count the comparison; observe the candidate's latency when it answered."""
        COMPARISONS.labels(comparison.route, str(comparison.outcome)).inc()
        if comparison.candidate_ms is not None:
            CANDIDATE_SECONDS.labels(comparison.route).observe(comparison.candidate_ms / 1000.0)

    def noise(self, route: str, paths: list[str]) -> None:
        """Count noisy field paths found by calibration."""
        NOISE.labels(route).inc(len(paths))
