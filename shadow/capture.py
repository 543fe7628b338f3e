"""Traffic capture: keep redacted exchanges (request + control response) for export and replay.

The proxy decides per request whether to keep it (``Policy``: routes.yaml's ``capture:``) and
hands the finished exchange to a ``CaptureWriter``: like the parity writer it only puts on a
bounded queue; its thread redacts each record and inserts batches into ``captured_exchanges``
(the store, ``CaptureStore``), and prunes rows older than the policy's ``keep_days``.

Redaction (``redact_record``, shadow.capture_redact) happens in the writer's thread, before
anything is stored; the policy is shadow.capture_policy.

The export format (``"capture": 1``) is one JSON object per line::

    {"capture": 1, "id": 42, "captured_at": "2026-12-02T09:41:00.123456+00:00",
     "record": {...shadow.record.Record.to_dict(), "v": 1...}}
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from shadow import schema
from shadow.background import background_error
from shadow.batches import BatchThread
from shadow.capture_policy import Policy
from shadow.capture_redact import redact_record
from shadow.record import Record, RecordError

EXPORT_VERSION = 1


# --- the store -----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Captured:
    """One stored capture: its id, when it was taken and the (redacted) record."""

    id: int
    captured_at: datetime
    record: Record

    def export_line(self) -> str:
        """Return the capture as one line of the export format (``"capture": 1``)."""
        return json.dumps({"capture": EXPORT_VERSION, "id": self.id,
                           "captured_at": self.captured_at.isoformat(),
                           "record": self.record.to_dict()},
                          ensure_ascii=False, separators=(",", ":"))


def read_line(line: str, number: int = 0) -> Captured:
    """Read one line of an export (or a bare ``Record``); raise RecordError naming the line."""
    try:
        doc = json.loads(line)
    except ValueError as error:
        raise RecordError(f"line {number}: not JSON: {error}") from None
    try:
        if isinstance(doc, dict) and "capture" in doc:
            if doc.get("capture") != EXPORT_VERSION:
                raise RecordError(f"capture: version {doc.get('capture')!r} is not "
                                  f"{EXPORT_VERSION}")
            when = datetime.fromisoformat(str(doc.get("captured_at")))
            return Captured(int(doc.get("id") or number), when,
                            Record.from_dict(doc.get("record")))
        record = Record.from_dict(doc)
    except (RecordError, ValueError, TypeError) as error:
        raise RecordError(f"line {number}: {error}") from None
    return Captured(number, datetime.fromtimestamp(record.exchange.started, UTC), record)


def read_file(lines: Iterator[str] | Sequence[str]) -> list[Captured]:
    """Read every non-empty line of an export, in order."""
    return [read_line(line, n) for n, line in enumerate(lines, 1) if line.strip()]


class CaptureStore:
    """Insert, read, export and prune captured exchanges (PostgreSQL or SQLite)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def add(self, records: Sequence[Record], captured_at: datetime | None = None) -> list[int]:
        """Insert already-redacted records in one transaction; return their ids."""
        if not records:
            return []
        table = schema.captures
        rows = [{"route": r.exchange.route[:300], "method": r.exchange.method[:10],
                 "request_id": (r.exchange.request_id or None) and r.exchange.request_id[:100],
                 "captured_at": captured_at or datetime.fromtimestamp(r.exchange.started, UTC),
                 "record": r.to_json().decode("utf-8")} for r in records]
        with self.engine.begin() as connection:
            return list(connection.execute(
                sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
            ).scalars())

    def captured(self, *, route: str | None = None, since: datetime | None = None,
                 limit: int | None = None) -> Iterator[Captured]:
        """Yield stored captures in the order they were taken (oldest first)."""
        table = schema.captures
        query = sa.select(table.c.id, table.c.captured_at, table.c.record).order_by(table.c.id)
        if route is not None:
            query = query.where(table.c.route == route)
        if since is not None:
            query = query.where(table.c.captured_at >= since)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            for row in connection.execute(query.execution_options(yield_per=500)):
                yield Captured(row.id, row.captured_at, Record.from_json(row.record))

    def find(self, key: str) -> Captured | None:
        """Return the capture with id ``key`` or, failing that, request id ``key``."""
        table = schema.captures
        clauses = [table.c.request_id == key]
        if key.isdigit():
            clauses.insert(0, table.c.id == int(key))
        with self.engine.connect() as connection:
            for clause in clauses:
                row = connection.execute(sa.select(table).where(clause)
                                         .order_by(table.c.id.desc()).limit(1)).first()
                if row is not None:
                    return Captured(row.id, row.captured_at, Record.from_json(row.record))
        return None

    def prune(self, *, max_age: timedelta, now: datetime | None = None) -> int:
        """Delete captures older than ``max_age``; return how many."""
        cutoff = (now or datetime.now(UTC)) - max_age
        table = schema.captures
        with self.engine.begin() as connection:
            return connection.execute(
                sa.delete(table).where(table.c.captured_at < cutoff)).rowcount


# --- the background writer -----------------------------------------------------------------

class CaptureWriter(BatchThread[tuple[Record, Policy]]):
    """Queue captured records (never blocking), redact and store them in batches, prune."""

    thread_name = "capture-writer"

    def __init__(self, store: CaptureStore, *, max_queue: int = 2_000, batch_size: int = 100,
                 interval: float = 0.5, prune_every: float = 3600.0) -> None:
        super().__init__(max_queue=max_queue, batch_size=batch_size, interval=interval)
        self.store = store
        self.prune_every = prune_every
        self.dropped = 0
        self.failed = 0
        self.failing = False  # the last write failed (until one succeeds)
        self._pruned = float("-inf")  # the first batch prunes, whatever the uptime

    def put(self, record: Record, policy: Policy) -> bool:
        """Queue one exchange (redacted later, on the writer's thread); False if dropped."""
        if self._offer((record, policy)):
            return True
        self.dropped += 1
        return False

    def _write(self, batch: list[tuple[Record, Policy]]) -> None:
        try:
            self.store.add([redact_record(record, policy.redact) for record, policy in batch])
            self.failing = False
        except Exception:
            self.failing = True
            self.failed += len(batch)
            background_error("capture_writer", "could not store captured exchanges",
                             count=len(batch))
        if time.monotonic() - self._pruned >= self.prune_every:
            self._pruned = time.monotonic()
            keep = max(policy.keep_days for _, policy in batch)
            try:
                self.store.prune(max_age=timedelta(days=keep))
            except Exception:
                background_error("capture_writer", "could not prune captured exchanges")

