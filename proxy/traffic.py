"""Traffic per route for every request the proxy serves, counted into the store in batches.

Each request is counted once, when it is recorded (``Handling.finish``), by its route template
(an unmatched path by a template of its own, see ``unmatched_template``), its kind (a plain
request, ``head``, a CORS ``preflight``, a plain ``options``) and the side it went to
(``legacy``, ``flask``, or ``proxy`` when the proxy answered itself: a bad path, a body too
large, a full bulkhead). Shadow's calls of legacy as the candidate (or again as the control,
to recheck) are counted as kind ``shadow``. That is what ``strangler legacy status`` reads:
everything that still reached legacy.

On the request path a count is one dict increment under a lock (tests/performance/
bench_traffic.py measures it against the Prometheus counter the proxy already bumps); a
daemon thread per worker flushes the counts every ``STRANGLER_TRAFFIC_FLUSH_SECONDS`` into
``route_traffic``, one row per (minute, route, kind, side), adding to what other workers
wrote. A failed flush is logged (``background_error``) and its counts are kept for the next
one, up to ``MAX_KEYS`` keys; nothing here raises into a request.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from dbtypes import NAMING_CONVENTION, UtcTimestamp
from proxy.schema import METHODS

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# Requests per minute, route, kind and side (migration 0008_route_traffic).
route_traffic = sa.Table(
    "route_traffic",
    metadata,
    sa.Column("minute", UtcTimestamp, nullable=False),
    sa.Column("route", sa.String(300), nullable=False),
    sa.Column("matched", sa.Boolean, nullable=False),  # False: an unmatched path's template
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("side", sa.String(10), nullable=False),
    sa.Column("requests", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("minute", "route", "matched", "kind", "side"),
)

REQUEST, HEAD, PREFLIGHT, OPTIONS, SHADOW = "request", "head", "preflight", "options", "shadow"
KINDS = (REQUEST, HEAD, PREFLIGHT, OPTIONS, SHADOW)
UNMATCHED = "unmatched"  # an unmatched request with no path (refused) or past MAX_UNMATCHED
MAX_UNMATCHED = 200  # distinct unmatched templates per worker between two flushes
MAX_KEYS = 50_000  # counts kept across failed flushes; beyond, the oldest minutes are dropped
MAX_SEGMENTS = 8
_NAME = re.compile(r"[A-Za-z_.~-]{1,40}")

Key = tuple[int, str, bool, str, str]  # minute (epoch // 60), route, matched, kind, side


def kind_of(method: str, environ: dict) -> str:
    """Return a request's kind: head, preflight (OPTIONS asking a method), options, request."""
    if method == "HEAD":
        return HEAD
    if method == "OPTIONS":
        return PREFLIGHT if environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD") else OPTIONS
    return REQUEST


def unmatched_template(method: str, path: str) -> str:
    """Return a template for a path no route matches: a segment that is not a plain word
    (digits, an id, a slug with digits, a long token) becomes ``:param``.

    ``GET /api/v1/users/42`` and ``GET /api/v1/users/43`` count as ``GET /api/:param/users/:param``:
    few enough templates to store, specific enough to say what still calls legacy.
    """
    method = method if method in METHODS else "OTHER"
    segments = [s for s in path.split("/") if s]
    shown = [s if _NAME.fullmatch(s) else ":param" for s in segments[:MAX_SEGMENTS]]
    if len(segments) > MAX_SEGMENTS:
        shown.append("...")
    return f"{method} /" + "/".join(shown)


class TrafficCounter:
    """One worker's counts, flushed by a daemon thread (started on first use, after fork)."""

    def __init__(self, engine: Callable[[], sa.Engine], *, interval: float = 5.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine  # called once, in the flushing thread
        self.interval = interval
        self.clock = clock
        self._counts: dict[Key, int] = {}
        self._unmatched: set[str] = set()
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._engine: sa.Engine | None = None

    def count(self, route: str, matched: bool, kind: str, side: str) -> None:
        """Count one request; never raises."""
        try:
            if self._pid != os.getpid():
                self._start()
            key = (int(self.clock() // 60), route, matched, kind, side)
            with self._lock:
                if not matched and route not in self._unmatched:
                    if len(self._unmatched) >= MAX_UNMATCHED:
                        key = (key[0], UNMATCHED, False, kind, side)
                    else:
                        self._unmatched.add(route)
                self._counts[key] = self._counts.get(key, 0) + 1
        except Exception:
            _failed("could not count a request", route=route)

    def flush(self) -> bool:
        """Write the counts so far; on failure keep them for the next flush. True if written."""
        with self._lock:
            counts, self._counts = self._counts, {}
            self._unmatched = set()
        if not counts:
            return True
        try:
            if self._engine is None:
                self._engine = self.engine()
            record(self._engine, counts)
            return True
        except Exception:
            _failed("could not write traffic counts", keys=len(counts))
            with self._lock:
                for key, n in counts.items():
                    self._counts[key] = self._counts.get(key, 0) + n
                if len(self._counts) > MAX_KEYS:
                    for key in sorted(self._counts)[: len(self._counts) - MAX_KEYS]:
                        del self._counts[key]
            return False

    def close(self) -> None:
        """Stop the thread, write what is counted and close the engine's connections."""
        if self._pid != os.getpid():
            return
        self._stop.set()
        self._thread.join(timeout=self.interval + 5)
        self._pid = None

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid():
                return
            self._counts, self._unmatched, self._engine = {}, set(), None  # the parent's
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, name="traffic-writer", daemon=True)
            self._thread.start()
            self._pid = os.getpid()
        atexit.register(self.close)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()
        self.flush()
        if self._engine is not None:  # its connections were opened in this thread
            self._engine.dispose()
            self._engine = None


def _failed(message: str, **fields: Any) -> None:
    from shadow.background import background_error  # prometheus_client: not for the CLI

    background_error("traffic", message, **fields)


def record(engine: sa.Engine, counts: dict[Key, int]) -> None:
    """Add ``counts`` to the stored rows, in one transaction (other workers add to them too)."""
    table = route_traffic
    rows = [{"minute": datetime.fromtimestamp(minute * 60, UTC), "route": route[:300],
             "matched": matched, "kind": kind, "side": side, "requests": n}
            for (minute, route, matched, kind, side), n in sorted(counts.items())]
    with engine.begin() as connection:
        dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
        statement = dialect.insert(table)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.minute, table.c.route, table.c.matched, table.c.kind,
                                table.c.side],
                set_={"requests": table.c.requests + statement.excluded.requests},
            ),
            rows,
        )


def prune(engine: sa.Engine, max_age: timedelta, now: datetime | None = None) -> int:
    """Delete the minutes older than ``max_age``; return how many rows went."""
    cutoff = (now or datetime.now(UTC)) - max_age
    with engine.begin() as connection:
        return connection.execute(
            sa.delete(route_traffic).where(route_traffic.c.minute < cutoff)).rowcount


def served(engine: sa.Engine, since: datetime) -> dict[tuple[str, bool], int]:
    """Return the requests the proxy served since ``since`` per (route, matched), shadow's
    calls left out."""
    table = route_traffic
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(table.c.route, table.c.matched, sa.func.sum(table.c.requests))
            .where(table.c.minute >= minute_floor(since), table.c.kind != SHADOW)
            .group_by(table.c.route, table.c.matched))
        return {(route, matched): int(n) for route, matched, n in rows}


def minute_floor(instant: datetime) -> datetime:
    """Return the start of ``instant``'s minute: a window counts the minutes it touches."""
    return instant.replace(second=0, microsecond=0)
