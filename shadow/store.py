"""The parity store: comparisons, differing paths, a mismatch reservoir per route, and noise.

Writes go through ParityWriter (off the request path); the store itself is synchronous and
takes an Engine, so it works the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from shadow import schema
from shadow.comparison import Comparison
from shadow.document import canonical
from shadow.observation import Outcome, Result
from shadow.redact import redact, redact_difference

MAX_STORED_BODY = 100_000
_INDEX = re.compile(r"\[\d+\]")


def engine_from_url(url: str, **pool: Any) -> sa.Engine:
    """Create an Engine for a DATABASE_URL (``postgresql://...`` or ``sqlite:///...``);
    ``pool`` options (pool_size, ...) apply to PostgreSQL."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("sqlite"):
        return sa.create_engine(url, connect_args={"timeout": 5})
    return sa.create_engine(url, pool_pre_ping=True, **pool)


class ParityStore:
    """Record comparisons; keep at most ``reservoir_size`` mismatch samples per route."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        reservoir_size: int = 20,
        max_paths: int = 20,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.reservoir_size = reservoir_size
        self.max_paths = max_paths
        self.rng = rng or random.Random()

    def record(self, batch: Sequence[Comparison]) -> int:
        """Insert a batch of comparisons in one transaction, sampling their mismatches.

        A comparison whose ``key`` is stored already is left out (a queued exchange delivered
        twice: its first comparison stands). Return how many were inserted.
        """
        for attempt in range(3):
            try:
                return self._record(batch)
            except sa.exc.IntegrityError:
                if attempt == 2 or not any(c.key for c in batch):
                    raise  # another worker stored one of the keys meanwhile: filter again
        return 0

    def _record(self, batch: Sequence[Comparison]) -> int:
        table = schema.comparisons
        with self.engine.begin() as connection:
            keys = [c.key for c in batch if c.key]
            if keys:
                stored = set(connection.execute(
                    sa.select(table.c.exchange_key).where(table.c.exchange_key.in_(keys))
                ).scalars())
                kept = []
                for comparison in batch:
                    if comparison.key is not None:
                        if comparison.key in stored:
                            continue
                        stored.add(comparison.key)
                    kept.append(comparison)
                batch = kept
            if not batch:
                return 0
            ids = connection.execute(
                sa.insert(table).returning(table.c.id, sort_by_parameter_order=True),
                [_comparison_row(comparison) for comparison in batch],
            ).scalars()
            paths = []
            for comparison_id, comparison in zip(ids, batch, strict=True):
                result = comparison.result
                if comparison.outcome is not Outcome.MISMATCH or result is None:
                    continue
                general: dict[str, set[str]] = {}  # generalised path -> its kinds
                for difference in result.differences:
                    general.setdefault(_INDEX.sub("[*]", difference.path), set()).add(
                        str(difference.kind))
                paths += [
                    {
                        "comparison_id": comparison_id,
                        "route": comparison.route,
                        "path": path[:500],
                        "kind": ",".join(sorted(kinds))[:100],
                        "compared_at": comparison.compared_at,
                    }
                    for path, kinds in list(general.items())[: self.max_paths]
                ]
                self._offer(connection, comparison, result)
            if paths:
                connection.execute(sa.insert(schema.differences), paths)
        return len(batch)

    def record_noise(
        self, route: str, paths: Sequence[str], seen_at: datetime | None = None
    ) -> None:
        """Count each noisy field path of ``route`` once more."""
        seen_at = seen_at or datetime.now(UTC)
        table = schema.noise
        with self.engine.begin() as connection:
            for path in dict.fromkeys(paths):
                statement = _insert(connection, table).values(
                    route=route, path=path[:500], count=1, first_seen=seen_at, last_seen=seen_at
                )
                connection.execute(
                    statement.on_conflict_do_update(
                        index_elements=[table.c.route, table.c.path],
                        set_={"count": table.c.count + 1, "last_seen": seen_at},
                    )
                )

    def prune(
        self,
        *,
        max_age: timedelta | None = None,
        max_rows: int | None = None,
        now: datetime | None = None,
    ) -> int:
        """Delete comparisons older than ``max_age`` or beyond the newest ``max_rows``.

        Their differing paths go with them; the reservoir samples and noise counts are bounded
        per route already and stay. Return how many comparisons were deleted.
        """
        table, paths = schema.comparisons, schema.differences
        deleted = 0
        with self.engine.begin() as connection:
            if max_age is not None:
                cutoff = (now or datetime.now(UTC)) - max_age
                connection.execute(sa.delete(paths).where(paths.c.compared_at < cutoff))
                deleted += connection.execute(
                    sa.delete(table).where(table.c.compared_at < cutoff)
                ).rowcount
            if max_rows is not None:
                boundary = connection.execute(
                    sa.select(table.c.id).order_by(table.c.id.desc()).offset(max_rows).limit(1)
                ).scalar()
                if boundary is not None:
                    connection.execute(sa.delete(paths).where(paths.c.comparison_id <= boundary))
                    deleted += connection.execute(
                        sa.delete(table).where(table.c.id <= boundary)
                    ).rowcount
        return deleted

    def _offer(self, connection: sa.Connection, comparison: Comparison, result: Result) -> None:
        """Offer a mismatch to the route's reservoir (Algorithm R: each kept with p = k/n)."""
        reservoirs = schema.reservoirs
        connection.execute(
            _insert(connection, reservoirs)
            .values(route=comparison.route, seen=0)
            .on_conflict_do_nothing(index_elements=[reservoirs.c.route])
        )
        seen = connection.execute(
            sa.update(reservoirs)
            .where(reservoirs.c.route == comparison.route)
            .values(seen=reservoirs.c.seen + 1)
            .returning(reservoirs.c.seen)
        ).scalar_one()
        if seen <= self.reservoir_size:
            slot = seen - 1
        else:
            slot = self.rng.randrange(seen)
            if slot >= self.reservoir_size:
                return
        table = schema.samples
        connection.execute(
            sa.delete(table).where(table.c.route == comparison.route, table.c.slot == slot)
        )
        connection.execute(sa.insert(table).values(_sample_row(comparison, result, slot)))


def _insert(connection: sa.Connection, table: sa.Table):
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _comparison_row(comparison: Comparison) -> dict:
    return {
        "route": comparison.route[:300],
        "method": comparison.method[:10],
        "outcome": str(comparison.outcome),
        "control_side": comparison.control_side[:20],
        "control_status": comparison.control_status,
        "candidate_status": comparison.candidate_status,
        "control_ms": comparison.control_ms,
        "candidate_ms": comparison.candidate_ms,
        "request_id": comparison.request_id[:100] if comparison.request_id else None,
        "compared_at": comparison.compared_at,
        "coverage": comparison.result.coverage if comparison.result else None,
        "exchange_key": comparison.key[:100] if comparison.key else None,
        "lag_ms": None if comparison.lag is None else round(comparison.lag * 1000.0, 3),
    }


def _sample_row(comparison: Comparison, result: Result, slot: int) -> dict:
    return {
        "route": comparison.route[:300],
        "slot": slot,
        "method": comparison.method[:10],
        "request_id": comparison.request_id[:100] if comparison.request_id else None,
        "control_side": comparison.control_side[:20],
        "control_status": comparison.control_status,
        "candidate_status": comparison.candidate_status,
        "differences": json.dumps(
            [redact_difference(d).as_dict() for d in result.differences], ensure_ascii=False
        ),
        "control_body": _stored_body(result.control_doc),
        "candidate_body": _stored_body(result.candidate_doc),
        "compared_at": comparison.compared_at,
    }


def _stored_body(document: object) -> str | None:
    if not isinstance(document, dict) or "body" not in document:
        return None
    return canonical(redact(document["body"]))[:MAX_STORED_BODY]
