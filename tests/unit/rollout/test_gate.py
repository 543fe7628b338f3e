"""The gate: a Wilson score interval on the mismatch rate, minimum counts, failures, latency."""

from __future__ import annotations

import pytest

from proxy.schema import RolloutGate
from rollout.gate import BREACH, HOLD, PASS, Figures, evaluate, wilson

GATE = RolloutGate(parity=99.0, min_comparisons=500, candidate_errors=0, latency_ratio_p99=1.5)


def test_wilson_matches_hand_computed_bounds() -> None:
    # 0 in 100: the upper bound is z^2 / (n + z^2); 10 in 100: 0.0552..0.1744 (textbook).
    assert wilson(0, 100) == (0.0, pytest.approx(1.96**2 / (100 + 1.96**2)))
    low, high = wilson(10, 100)
    assert (round(low, 4), round(high, 4)) == (0.0552, 0.1744)
    assert wilson(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(("figures", "step", "decision", "why"), [
    (Figures(499, 0, 0, 1.0), "canary 10", HOLD, "499/500 comparisons"),
    (Figures(500, 0, 0, 1.0), "canary 10", PASS, None),
    # 2 in 500: the point estimate (0.4%) is under 1%, but not surely enough to promote
    (Figures(500, 2, 0, 1.0), "canary 10", HOLD, "up to 0.0145, not yet below 0.0100"),
    (Figures(2000, 8, 0, 1.0), "canary 10", PASS, None),  # the same 0.4%, on more evidence
    (Figures(500, 15, 0, 1.0), "canary 10", BREACH, "mismatch rate at least"),
    # a breach needs a tenth of min_comparisons: 3 of 3 is not yet judged, 10 of 50 is
    (Figures(3, 3, 0, 1.0), "shadow", HOLD, "3/500"),
    (Figures(50, 10, 0, 1.0), "shadow", BREACH, "mismatch rate"),
    (Figures(10, 0, 1, 1.0), "shadow", BREACH, "1 candidate failures > 0"),
    (Figures(10, 0, 1, 1.0), "flask", HOLD, "10/500"),  # legacy is the candidate there
    (Figures(600, 0, 0, 1.6), "canary 50", BREACH, "p99 latency ratio 1.6 > 1.5"),
    (Figures(100, 0, 0, 1.6), "canary 50", HOLD, "100/500"),  # too few for a p99
    (Figures(600, 0, 0, None), "canary 50", HOLD, "no latency figure"),
])
def test_decisions(figures: Figures, step: str, decision: str, why: str | None) -> None:
    verdict = evaluate(GATE, figures, step)
    assert verdict.decision == decision, verdict.summary()
    if why is not None:
        assert why in "; ".join(verdict.reasons)


def test_the_summary_names_figures_and_thresholds() -> None:
    summary = evaluate(GATE, Figures(500, 15, 0, 1.2), "canary 10").summary()
    assert summary.startswith("breach: 15/500 mismatched (95% Wilson 0.0183..0.0489, allowed"
                              " 0.0100), candidate failures 0, p99 ratio 1.2")
