"""Fixtures for the parity store tests: a fresh migrated database of each kind."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from shadow.compare import compare
from shadow.comparison import Comparison
from shadow.observation import Observation, Outcome, Result
from shadow.store import engine_from_url


@pytest.fixture
def database_url(databases, database_kind: str) -> str:
    """The URL of a fresh database at the newest migration (0003 included)."""
    return databases.create(database_kind)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = engine_from_url(database_url)
    yield engine
    engine.dispose()


def observation(body: Any, status: int = 200, duration: float = 0.02) -> Observation:
    data = json.dumps(body).encode()
    return Observation(status, {"Content-Type": "application/json"}, data, duration)


@pytest.fixture
def make_comparison() -> Callable[..., Comparison]:
    """Build a Comparison by really comparing two JSON bodies."""

    def build(
        control: Any,
        candidate: Any,
        *,
        route: str = "GET /api/articles",
        request_id: str | None = None,
        at: datetime | None = None,
        control_ms: float = 20.0,
        candidate_ms: float = 30.0,
        outcome: Outcome | None = None,
    ) -> Comparison:
        left, right = observation(control), observation(candidate)
        result = Result(outcome) if outcome is not None else compare(left, right)
        made = Comparison.of(
            route, "GET", "legacy", left, result, candidate=right,
            candidate_seconds=candidate_ms / 1000, request_id=request_id,
        )  # fmt: skip
        return replace(made, control_ms=control_ms, compared_at=at or datetime.now(UTC))

    return build
