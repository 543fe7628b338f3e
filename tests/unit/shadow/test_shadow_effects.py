"""Writes a candidate must not make are its own failures, counted against it."""

from __future__ import annotations

from shadow.report import RouteReport


def test_an_escaped_write_counts_as_a_candidate_failure_not_a_comparison_verdict() -> None:
    report = RouteReport("POST /api/articles/:slug/comments", compared=10)
    report.outcomes.update(match=9, escaped_write=1)
    assert report.candidate_failures == 1
    assert report.match_pct == 100.0  # parity alone would hide it: failures are shown beside
    assert report.failure_pct == 10.0
    assert report.as_dict()["escaped_write"] == 1
