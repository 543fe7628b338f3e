"""Prometheus metrics: comparisons by route template and outcome, candidate latency."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from prometheus_client import REGISTRY

from shadow.comparison import Comparison
from shadow.metrics import Metrics
from shadow.observation import Outcome

ROUTE = "GET /api/profiles/:username"


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_comparisons_are_counted_by_route_and_outcome() -> None:
    before = value("shadow_comparisons_total", route=ROUTE, outcome="mismatch")
    before_count = value("shadow_candidate_seconds_count", route=ROUTE)
    before_sum = value("shadow_candidate_seconds_sum", route=ROUTE)
    Metrics().comparison(Comparison(ROUTE, "GET", Outcome.MISMATCH, "legacy", candidate_ms=250))
    assert value("shadow_comparisons_total", route=ROUTE, outcome="mismatch") == before + 1
    assert value("shadow_candidate_seconds_count", route=ROUTE) == before_count + 1
    assert value("shadow_candidate_seconds_sum", route=ROUTE) == before_sum + 0.25


def test_skips_are_counted_without_a_latency() -> None:
    before = value("shadow_candidate_seconds_count", route=ROUTE)
    skipped = value("shadow_comparisons_total", route=ROUTE, outcome="skipped_overload")
    Metrics().comparison(Comparison(ROUTE, "GET", Outcome.SKIPPED_OVERLOAD, "flask"))
    assert value("shadow_comparisons_total", route=ROUTE, outcome="skipped_overload") == skipped + 1
    assert value("shadow_candidate_seconds_count", route=ROUTE) == before


def test_noise_paths_are_counted() -> None:
    before = value("shadow_noise_paths_total", route=ROUTE)
    Metrics().noise(ROUTE, ["body.a", "body.b"])
    assert value("shadow_noise_paths_total", route=ROUTE) == before + 2


def test_metrics_work_in_multiprocess_mode(tmp_path) -> None:
    script = textwrap.dedent(
        """
        import os, sys
        from prometheus_client import CollectorRegistry, multiprocess
        from shadow.comparison import Comparison
        from shadow.metrics import Metrics
        from shadow.observation import Outcome

        route = "GET /api/tags"
        if os.fork() == 0:  # a second worker process writes its own samples
            Metrics().comparison(Comparison(route, "GET", Outcome.MATCH, "legacy", candidate_ms=5))
            os._exit(0)
        os.wait()
        Metrics().comparison(Comparison(route, "GET", Outcome.MATCH, "legacy", candidate_ms=7))
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        total = registry.get_sample_value(
            "shadow_comparisons_total", {"route": route, "outcome": "match"})
        count = registry.get_sample_value("shadow_candidate_seconds_count", {"route": route})
        print(total, count)
        """
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    completed = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    assert completed.stdout.split() == ["2.0", "2.0"]
