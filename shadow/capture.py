"""Traffic capture: keep redacted exchanges (request + control response) for export and replay.

The proxy decides per request whether to keep it (``Policy``: routes.yaml's ``capture:``) and
hands the finished exchange to a ``CaptureWriter``: like the parity writer it only puts on a
bounded queue; its thread redacts each record and inserts batches into ``captured_exchanges``
(the store, ``CaptureStore``), and prunes rows older than the policy's ``keep_days``.

Redaction (``redact_record``) uses shadow.redact's rules (Authorization, Cookie, Set-Cookie,
fields naming a password, token or secret, JWTs in text) plus the route's ``redact:`` paths,
on request and response headers, bodies, query strings and environ. Passwords, cookies and
secrets become ``[REDACTED]``; a token (an Authorization value, a ``token`` field, a JWT)
becomes a pseudonym ``[REDACTED:<16 hex>]``, the start of its SHA-256: the same token gives
the same pseudonym everywhere, so a replay can tell which captured request used the token a
captured login returned (docs/replay.md), and nothing of the token itself is kept.

The export format (``"capture": 1``) is one JSON object per line::

    {"capture": 1, "id": 42, "captured_at": "2026-12-02T09:41:00.123456+00:00",
     "record": {...shadow.record.Record.to_dict(), "v": 1...}}
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa

from shadow import schema
from shadow.background import background_error
from shadow.observation import Observation
from shadow.paths import FieldPath
from shadow.record import Record, RecordError
from shadow.redact import REDACTED, redact, redact_text, sensitive

EXPORT_VERSION = 1
PSEUDONYM = re.compile(r"\[REDACTED:([0-9a-f]{16})\]")
_SCHEME = re.compile(r"^((?:Token|Bearer)\s+)(.+)$", re.IGNORECASE | re.DOTALL)
_URI_KEYS = ("RAW_URI", "REQUEST_URI")
HEADERS = ("key", "headers")
_SECRET_WORDS = ("password", "passwd", "secret", "cookie")


@dataclass(frozen=True, slots=True)
class Policy:
    """One route's capture settings, resolved from ``capture:`` and the route's own entry."""

    fraction: float = 0.0
    max_per_hour: int = 1000
    max_body: int = 256 * 1024
    redact: tuple[FieldPath, ...] = ()
    keep_days: int = 14

    @classmethod
    def from_settings(cls, defaults: Any = None, route: Any = None) -> Policy:
        """Resolve a route's policy: the route's own value, else the global ``capture:``."""

        def pick(key: str, fallback: Any) -> Any:
            for settings in (route, defaults):
                value = _setting(settings, key)
                if value is not None:
                    return value
            return fallback

        paths = [*(_setting(defaults, "redact") or ()), *(_setting(route, "redact") or ())]
        return cls(
            fraction=float(pick("fraction", 0.0)),
            max_per_hour=int(pick("max_per_hour", 1000)),
            max_body=int(pick("max_body", 256 * 1024)),
            redact=tuple(FieldPath.parse(p) for p in dict.fromkeys(paths)),
            keep_days=int(_setting(defaults, "keep_days") or 14),
        )


def _setting(settings: Any, key: str) -> Any:
    if settings is None:
        return None
    if isinstance(settings, dict):
        return settings.get(key)
    return getattr(settings, key, None)


# --- redaction -----------------------------------------------------------------------------

def pseudonym(secret: str) -> str:
    """Return the pseudonym of a token: ``[REDACTED:`` + 16 hex of its SHA-256 + ``]``."""
    return f"[REDACTED:{hashlib.sha256(secret.encode('utf-8')).hexdigest()[:16]}]"


def mask(name: str, value: str) -> str:
    """Replace one credential: passwords, secrets and cookies by REDACTED, tokens by a
    pseudonym (an Authorization scheme such as ``Token`` is kept in front of it)."""
    lowered = name.lower()
    if any(word in lowered for word in _SECRET_WORDS):
        return REDACTED
    if PSEUDONYM.fullmatch(value.split()[-1] if value.split() else value):
        return value  # already a pseudonym (an imported capture redacted again)
    scheme = _SCHEME.match(value)
    if scheme:
        return scheme[1] + pseudonym(scheme[2].strip())
    return pseudonym(value)


def redact_record(record: Record, paths: Sequence[FieldPath] = ()) -> Record:
    """Return ``record`` with every credential (and each of ``paths``) replaced."""
    exchange = record.exchange
    named = frozenset(step[1] for p in paths for step in p.steps[1:2] if p.steps[0] == HEADERS)
    body = _redact_body(exchange.body, exchange.headers, paths)
    headers = _fix_length(_redact_headers(exchange.headers, named), exchange.body, body)
    exchange = replace(
        exchange, headers=headers, body=body, target=_redact_target(exchange.target),
        environ=tuple((key, _redact_environ(key, value)) for key, value in exchange.environ),
    )
    control = record.control
    if control is not None and control.exception is None:
        pairs = _pairs(control.headers)
        control_body = _redact_body(control.body, pairs, paths) or b""
        control = Observation(control.status, _fix_length(_redact_headers(pairs, named),
                                                          control.body, control_body),
                              control_body, control.duration)
    return Record(exchange, control, record.table_version)


def _pairs(headers: Any) -> tuple[tuple[str, str], ...]:
    items = headers.items() if hasattr(headers, "items") else headers
    return tuple((str(name), str(value)) for name, value in items)


def _redact_headers(headers: Sequence[tuple[str, str]],
                    named: frozenset[str] = frozenset()) -> tuple[tuple[str, str], ...]:
    out = []
    for name, value in headers:
        lowered = name.lower()
        if lowered in named:  # a ``headers.<name>`` path of the policy's ``redact``
            value = REDACTED
        elif lowered == "set-cookie":
            value = _redact_set_cookie(value)
        elif lowered == "cookie":
            value = REDACTED
        elif sensitive(lowered):
            value = mask(lowered, value)
        else:
            value = redact_text(value, mask=mask)
        out.append((name, value))
    return tuple(out)


def _redact_set_cookie(value: str) -> str:
    """Keep a Set-Cookie's name and attributes (what shadow compares), not its value."""
    first, semicolon, attributes = value.partition(";")
    name, equals, _ = first.partition("=")
    return f"{name}{equals}{REDACTED if equals else ''}{semicolon}{attributes}"


def _redact_target(target: str) -> str:
    path, question, query = target.partition("?")
    if not question:
        return redact_text(path, mask=mask)
    return redact_text(path, mask=mask) + "?" + _redact_query(query)


def _redact_query(query: str) -> str:
    pairs = [(key, mask(key, value) if sensitive(key) else redact_text(value, mask=mask))
             for key, value in parse_qsl(query, keep_blank_values=True)]
    return urlencode(pairs, safe="[]:")


def _redact_environ(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key == "QUERY_STRING":
        return _redact_query(value)
    if key in _URI_KEYS:
        return _redact_target(value)
    return mask(key, value) if sensitive(key) else redact_text(value, mask=mask)


def _redact_body(body: bytes | None, headers: Sequence[tuple[str, str]],
                 paths: Sequence[FieldPath]) -> bytes | None:
    if not body:
        return body
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        document = None
    else:
        cleaned = {"body": redact(document, mask=mask)}
        for path in paths:
            for container, key in path.locate(cleaned):
                if isinstance(container, dict | list):
                    container[key] = REDACTED
        return json.dumps(cleaned["body"], ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
    text = body.decode("utf-8", errors="replace")
    if _form(headers):
        pairs = [(key, mask(key, value) if sensitive(key) else redact_text(value, mask=mask))
                 for key, value in parse_qsl(text, keep_blank_values=True)]
        return urlencode(pairs, safe="[]:").encode("utf-8")
    return redact_text(text, mask=mask).encode("utf-8")


def _form(headers: Sequence[tuple[str, str]]) -> bool:
    return any(name.lower() == "content-type" and "form-urlencoded" in value.lower()
               for name, value in headers)


def _fix_length(headers: tuple[tuple[str, str], ...], before: bytes | None,
                after: bytes | None) -> tuple[tuple[str, str], ...]:
    """Keep Content-Length true to the redacted body (a replay sends that body)."""
    if before == after:
        return headers
    size = str(len(after or b""))
    return tuple((name, size if name.lower() == "content-length" else value)
                 for name, value in headers)


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

class CaptureWriter:
    """Queue captured records (never blocking), redact and store them in batches, prune."""

    def __init__(self, store: CaptureStore, *, max_queue: int = 2_000, batch_size: int = 100,
                 interval: float = 0.5, prune_every: float = 3600.0) -> None:
        self.store = store
        self.max_queue = max_queue
        self.batch_size = batch_size
        self.interval = interval
        self.prune_every = prune_every
        self.dropped = 0
        self.failed = 0
        self.failing = False  # the last write failed (until one succeeds)
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._pruned = float("-inf")  # the first batch prunes, whatever the uptime

    def put(self, record: Record, policy: Policy) -> bool:
        """Queue one exchange (redacted later, on the writer's thread); False if dropped."""
        try:
            self._start()
            self._queue.put_nowait((record, policy))
            return True
        except queue.Full:
            self.dropped += 1
            return False

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until what is queued so far is written; False if ``timeout`` passed first."""
        if self._pid != os.getpid():
            return True
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (waiting at most ``timeout``) and stop the thread."""
        if self._pid != os.getpid():
            return
        self.flush(timeout)
        self._stop.set()
        self._thread.join(timeout=max(self.interval * 2, 1.0))
        self._pid = None

    def _start(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._queue: queue.Queue[tuple[Record, Policy]] = queue.Queue(self.max_queue)
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, name="capture-writer",
                                            daemon=True)
            self._thread.start()
            self._pid = os.getpid()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                batch = [self._queue.get(timeout=self.interval)]
            except queue.Empty:
                continue
            while len(batch) < self.batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._write(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

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

