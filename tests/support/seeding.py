"""Put comparisons in the parity store the way the proxy will: shadow's compare and store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from shadow.compare import compare
from shadow.comparison import Comparison
from shadow.observation import Observation
from shadow.store import ParityStore

JSON = {"content-type": "application/json; charset=utf-8"}


def observation(body: object, status: int = 200, ms: float = 5.0) -> Observation:
    return Observation(status, JSON, json.dumps(body).encode(), ms / 1000)


def seed(
    engine: sa.Engine,
    route: str,
    *,
    matches: int = 0,
    mismatches: int = 0,
    failures: int = 0,
    ago: timedelta = timedelta(minutes=5),
) -> None:
    """Record comparisons of ``route``: equal answers, answers differing at one tag, errors."""
    method = route.split()[0]
    control = observation({"tags": ["dragons", "welcome"]})
    batch = []
    for i in range(matches + mismatches + failures):
        if i < matches:
            candidate = observation({"tags": ["dragons", "welcome"]}, ms=7.0)
        elif i < matches + mismatches:
            candidate = observation({"tags": ["dragons", "training"]}, ms=7.0)
        else:
            candidate = Observation.failed(ConnectionError("candidate down"))
        result = compare(control, candidate)
        comparison = Comparison.of(route, method, "legacy", control, result,
                                   candidate=candidate, candidate_seconds=candidate.duration,
                                   request_id=f"req-{i}")
        batch.append(_at(comparison, datetime.now(UTC) - ago))
    ParityStore(engine).record(batch)


def _at(comparison: Comparison, when: datetime) -> Comparison:
    from dataclasses import replace

    return replace(comparison, compared_at=when)
