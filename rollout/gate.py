"""A rollout gate judged on evidence: a Wilson score interval on the mismatch rate.

A breach needs the *lower* bound of the mismatch rate above what the gate allows
(1 - parity/100): the mismatches are too many to be chance at 95% confidence. A step passes
only with ``min_comparisons`` judged comparisons and the *upper* bound below it: we are 95%
sure the candidate is at least that good. Between the two the gate holds (neither promote nor
roll back). The interval behaves with zero mismatches and small counts, where a raw ratio
over a handful of requests, or the normal approximation, does not. The figures are
shadow.report's (the one owner of parity figures); this module only judges them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from proxy.lifecycle import FLASK, FLASK_ALONE
from proxy.schema import RolloutGate
from shadow.report import RouteReport

Z = 1.96  # two-sided 95%
PASS, HOLD, BREACH = "pass", "hold", "breach"


def wilson(failures: int, total: int, z: float = Z) -> tuple[float, float]:
    """Return the Wilson score interval (low, high) of a rate of ``failures`` in ``total``."""
    if total <= 0:
        return 0.0, 1.0
    p = failures / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    spread = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return max(0.0, centre - spread), min(1.0, centre + spread)


@dataclass(frozen=True)
class Figures:
    """What one evaluation saw of a route on its step (shadow.report's figures)."""

    judged: int  # matches + mismatches
    mismatches: int
    candidate_failures: int  # candidate errors, timeouts, escaped writes
    latency_ratio: float | None  # Flask p99 / legacy p99

    @classmethod
    def from_report(cls, report: RouteReport, step: str) -> Figures:
        ratio = report.latency_ratio
        if ratio is not None and step in (FLASK, FLASK_ALONE):
            ratio = round(1 / ratio, 3) if ratio else math.inf  # Flask is the control there
        return cls(report.match + report.mismatch, report.mismatch,
                   report.candidate_failures, ratio)


@dataclass(frozen=True)
class Verdict:
    """The gate's decision on some figures, and why."""

    decision: str  # PASS, HOLD or BREACH
    reasons: list[str]
    figures: Figures
    mismatch_low: float
    mismatch_high: float
    allowed: float = field(default=0.0)

    def as_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "reasons": self.reasons, **asdict(self.figures),
                "mismatch_low": round(self.mismatch_low, 5),
                "mismatch_high": round(self.mismatch_high, 5), "allowed": self.allowed}

    def summary(self) -> str:
        """Return the figures in one line, for the audit row and the log."""
        f = self.figures
        ratio = "n/a" if f.latency_ratio is None else f"{f.latency_ratio:g}"
        return (f"{self.decision}: {f.mismatches}/{f.judged} mismatched (95% Wilson"
                f" {self.mismatch_low:.4f}..{self.mismatch_high:.4f}, allowed"
                f" {self.allowed:.4f}), candidate failures {f.candidate_failures},"
                f" p99 ratio {ratio}" + (f"; {'; '.join(self.reasons)}" if self.reasons else ""))


def evaluate(gate: RolloutGate, figures: Figures, step: str) -> Verdict:
    """Judge ``figures`` against ``gate`` on ``step`` (a lifecycle state name).

    Candidate failures are not counted on ``flask``: legacy is the candidate there.
    """
    allowed = round(1 - gate.parity / 100, 6)
    low, high = wilson(figures.mismatches, figures.judged)
    breaches: list[str] = []
    waits: list[str] = []
    if step not in (FLASK, FLASK_ALONE) and figures.candidate_failures > gate.candidate_errors:
        breaches.append(f"{figures.candidate_failures} candidate failures > "
                        f"{gate.candidate_errors} allowed")
    # A rollback needs less evidence than a promotion (a tenth of min_comparisons): a wrong
    # rollback costs minutes, a wrong promotion costs users.
    if figures.judged >= max(1, gate.min_comparisons // 10) and low > allowed:
        breaches.append(f"mismatch rate at least {low:.4f} > {allowed:.4f} allowed")
    ratio, limit = figures.latency_ratio, gate.latency_ratio_p99
    if limit is not None and ratio is not None and figures.judged >= gate.min_comparisons \
            and ratio > limit:
        breaches.append(f"p99 latency ratio {ratio:g} > {limit:g}")
    if breaches:
        return Verdict(BREACH, breaches, figures, low, high, allowed)
    if figures.judged < gate.min_comparisons:
        waits.append(f"{figures.judged}/{gate.min_comparisons} comparisons")
    elif high >= allowed:
        waits.append(f"mismatch rate up to {high:.4f}, not yet below {allowed:.4f}")
    if limit is not None and ratio is None:
        waits.append("no latency figure yet")
    return Verdict(HOLD if waits else PASS, waits, figures, low, high, allowed)
