"""The ready-to-flip verdict and the overview's order."""

from __future__ import annotations

import pytest

from proxy.schema import RouteEntry
from rollout.dashboard.parity import Figures
from rollout.dashboard.readiness import Thresholds, judge, overview_rows
from shadow.report import RouteReport

LIMITS = Thresholds(parity=99.0, comparisons=100, latency_ratio=1.5)


def figures(match: int = 0, mismatch: int = 0, error: int = 0, timeout: int = 0,
            p99: tuple[float, float] | None = None) -> Figures:
    report = RouteReport("GET /api/tags", compared=match + mismatch + error + timeout)
    if p99 is not None:
        report.control_p99, report.candidate_p99 = p99
    report.outcomes.update(match=match, mismatch=mismatch, candidate_error=error, timeout=timeout)
    return Figures(report)


@pytest.mark.parametrize(("seen", "shadowed", "verdict"), [
    (figures(match=100), True, "ready"),
    (figures(match=990, mismatch=10), True, "ready"),
    (figures(match=989, mismatch=11), True, "differs"),
    (figures(match=99), True, "gathering"),
    (figures(match=500, error=1), True, "failing"),
    (figures(match=500, timeout=1), True, "failing"),
    (figures(), True, "gathering"),
    (figures(), False, "not compared"),
    (figures(match=100, p99=(10.0, 15.0)), True, "ready"),
    (figures(match=100, p99=(10.0, 15.1)), True, "slower"),
    (figures(match=100, p99=(10.0, 30.0)), True, "slower"),
    (figures(match=100, p99=(0.0, 1.0)), True, "slower"),
    (figures(match=50, p99=(10.0, 30.0)), True, "slower"),  # too slow already says more
    (figures(match=989, mismatch=11, p99=(10.0, 30.0)), True, "differs"),
])
def test_judge(seen, shadowed, verdict):
    assert judge(seen, shadowed, LIMITS)[0] == verdict


def test_rows_put_what_needs_attention_first_and_include_unlisted_routes():
    shadow = RouteEntry(route="GET /x", serve="legacy", shadow="flask")
    plain = RouteEntry(route="GET /y", serve="legacy")
    seen = {
        "GET /ready": figures(match=200), "GET /failing": figures(match=5, error=2),
        "GET /differs": figures(match=50, mismatch=50), "GET /unlisted": figures(match=1),
    }
    states = {"GET /ready": ("shadow", shadow), "GET /failing": ("shadow", shadow),
              "GET /differs": ("shadow", shadow), "GET /quiet": ("legacy", plain),
              "GET /new": ("shadow", shadow)}
    rows = overview_rows(states, {r: Figures(f.report) for r, f in seen.items()}, LIMITS)
    assert [r.route for r in rows] == [
        "GET /failing", "GET /differs", "GET /new", "GET /unlisted", "GET /ready", "GET /quiet"]
    assert rows[3].state == "unlisted"


def test_a_slower_candidate_says_by_how_much():
    readiness, reason = judge(figures(match=100, p99=(10.0, 30.0)), True, LIMITS)
    assert readiness == "slower"
    assert reason == "candidate p99 30.0 ms > 1.5 x control p99 10.0 ms"
    assert "candidate p99 1.2x" in judge(figures(match=100, p99=(10.0, 12.0)), True, LIMITS)[1]


def test_coverage_gaps_are_a_warning_beside_the_readiness():
    from rollout.dashboard.readiness import coverage_warning

    seen = figures(match=100)
    seen.report.coverage.statuses.update({"200": 90, "404": 10})
    assert coverage_warning(seen) == ""
    seen.report.coverage.lists["body.articles"] = [0, 0]
    assert coverage_warning(seen) == "not covered: never a non-empty body.articles"
    assert judge(seen, True, LIMITS)[0] == "ready"
    del seen.report.coverage.statuses["404"]
    assert coverage_warning(seen) == (
        "not covered: only status 200 seen; never a non-empty body.articles")
    assert coverage_warning(figures()) == ""  # nothing compared: nothing to warn about
