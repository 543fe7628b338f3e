"""The shadow queue: sealed exchanges on a Redis Stream, between the proxy and shadow workers.

The proxy publishes (``QueuePublisher``); ``strangler shadow work`` consumes (``StreamReader``,
composed with the candidate calls in ``proxy.shadow_worker``). What goes on the stream is one
``shadow.record.Record`` per exchange (its versioned JSON, the same form capture/replay stores),
sealed with Fernet: AES-128-CBC with an HMAC-SHA256 over the whole token, so a reader of Redis
learns nothing of the Authorization headers and bodies it carries, and an entry that was not
sealed with the key (forged) or was changed (tampered) is refused, never compared.

Entry: ``XADD <stream> MAXLEN ~ <maxlen> * r <token>``; consumer group ``workers``, created at
id 0 with MKSTREAM by whoever comes first (proxy or worker), so nothing published before the
first worker starts is missed.

The publisher never blocks the request and never raises: ``publish`` puts the record on a
bounded in-memory buffer (full: ``skipped_overload``, reason ``buffer``); one thread per process
seals and sends batches with a short socket timeout. When Redis does not answer, the batch is
recorded as skipped (reason ``unavailable``) and the client has been served already. Every
``interval`` the same thread reads the group's backlog (entries not yet delivered) and the age
of the oldest of them; over ``maxlen * 0.9`` or ``max_age`` it stops publishing (``backlog`` /
``age``) until the workers catch up, so trimming never eats exchanges nobody compared.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from cryptography.fernet import Fernet, InvalidToken
from prometheus_client import Counter

from shadow.background import background_error
from shadow.batches import BatchThread
from shadow.observation import Observation, Outcome
from shadow.record import Record, RecordError

GROUP = "workers"
FIELD = b"r"
SHED_AT = 0.9  # of maxlen: past it undelivered, the proxy stops publishing

PUBLISHED = Counter("shadow_queue_published", "Exchanges put on the shadow stream.")
SKIPPED = Counter(
    "shadow_queue_skipped",
    "Exchanges not put on the shadow stream, by reason (unavailable, buffer, backlog, age).",
    ["reason"],
)

Skip = Callable[[Record, Outcome, str], None]


class Sealer:
    """Seal and open records with a Fernet key (authenticated: forgeries are refused)."""

    def __init__(self, key: str | bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise ValueError("SHADOW_QUEUE_KEY is not a Fernet key (32 url-safe base64 "
                             "bytes; `strangler shadow key` makes one)") from None

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode("ascii")

    def seal(self, record: Record) -> bytes:
        return self._fernet.encrypt(record.to_json())

    def open(self, token: bytes) -> Record:
        """Return the record sealed in ``token``; RecordError if forged, tampered or unreadable."""
        try:
            data = self._fernet.decrypt(token)
        except (InvalidToken, TypeError):
            raise RecordError("not sealed with this key (forged or tampered)") from None
        return Record.from_json(data)


@dataclass(frozen=True)
class QueueSettings:
    """Where the stream is and how it is bounded (shadow.settings: SHADOW_QUEUE_*)."""

    url: str
    key: str
    stream: str = "strangler:shadow"
    maxlen: int = 10_000
    max_age: float = 30.0
    timeout: float = 0.25

    @classmethod
    def from_settings(cls, settings: object) -> QueueSettings | None:
        url = getattr(settings, "shadow_queue_url", None)
        if url is None:
            return None
        return cls(url=url, key=settings.shadow_queue_key,  # type: ignore[attr-defined]
                   stream=settings.shadow_queue_stream,  # type: ignore[attr-defined]
                   maxlen=settings.shadow_queue_maxlen,  # type: ignore[attr-defined]
                   max_age=settings.shadow_queue_max_age,  # type: ignore[attr-defined]
                   timeout=settings.shadow_queue_timeout)  # type: ignore[attr-defined]

    def client(self, timeout: float | None = None) -> redis.Redis:
        seconds = self.timeout if timeout is None else timeout
        return redis.Redis.from_url(self.url, socket_timeout=seconds,
                                    socket_connect_timeout=seconds)


def ensure_group(client: redis.Redis, stream: str) -> None:
    """Create the consumer group (and the stream) unless it exists."""
    try:
        client.xgroup_create(stream, GROUP, id="0", mkstream=True)
    except redis.ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise


@dataclass(frozen=True)
class Backlog:
    """The group's undelivered entries and the age of the oldest, seconds (0: none)."""

    entries: int
    age: float


def backlog(client: redis.Redis, stream: str) -> Backlog:
    """Read the consumer group's backlog: entries not yet delivered to any worker."""
    groups = {g["name"]: g for g in client.xinfo_groups(stream)}
    group = groups.get(GROUP.encode()) or groups.get(GROUP)
    if group is None:
        return Backlog(client.xlen(stream), 0.0)
    lag = group.get("lag")
    last = group["last-delivered-id"]
    last = last.decode() if isinstance(last, bytes) else last
    first: Any = client.xrange(stream, min=f"({last}", max="+", count=1)
    if not first:
        return Backlog(0, 0.0)
    entry_id = _text(first[0][0])
    age = max(0.0, time.time() - int(entry_id.split("-")[0]) / 1000.0)
    entries = int(lag) if lag is not None else client.xlen(stream)
    return Backlog(entries, age)


class QueuePublisher(BatchThread[Record]):
    """Publish records to the stream off the request thread; never block, never raise."""

    thread_name = "shadow-queue"

    def __init__(self, settings: QueueSettings, skip: Skip, *, buffer: int = 2000,
                 batch: int = 100, interval: float = 0.5) -> None:
        super().__init__(max_queue=buffer, batch_size=batch, interval=interval)
        self.settings = settings
        self.sealer = Sealer(settings.key)  # a bad key stops the start, not a request
        self.skip = skip
        self.shedding: str | None = None  # "backlog" / "age" while over a limit
        self.unavailable: str | None = None  # the last Redis error, until a send succeeds
        self.published = 0
        self.skipped: dict[str, int] = {}

    def publish(self, record: Record) -> None:
        """Queue ``record`` for the stream, or record why it is skipped."""
        try:
            self._start()
            if self.shedding is not None:
                self._skip([record], self.shedding)
            elif not self._offer(record):
                self._skip([record], "buffer")
        except Exception:
            background_error("shadow_queue", "could not queue an exchange")

    def close(self, timeout: float = 2.0) -> None:
        super().close(timeout)

    def status(self) -> dict[str, object]:
        return {"published": self.published, "skipped": dict(self.skipped),
                "shedding": self.shedding, "unavailable": self.unavailable}

    def _started(self) -> None:
        self._client = self.settings.client()
        self._grouped = False
        self._checked = 0.0

    def _tick(self) -> None:
        self._check()

    def _write(self, records: list[Record]) -> None:
        self._send(records)

    def _send(self, records: list[Record]) -> None:
        if self.shedding is not None:
            self._skip(records, self.shedding)
            return
        try:
            if not self._grouped:
                ensure_group(self._client, self.settings.stream)
                self._grouped = True
            pipe = self._client.pipeline(transaction=False)
            for record in records:
                pipe.xadd(self.settings.stream, {FIELD: self.sealer.seal(record)},
                          maxlen=self.settings.maxlen, approximate=True)
            pipe.execute()
        except redis.RedisError as error:
            self._grouped = False
            self.unavailable = f"{type(error).__name__}: {error}"[:200]
            self._skip(records, "unavailable")
            return
        self.unavailable = None
        self.published += len(records)
        PUBLISHED.inc(len(records))

    def _check(self) -> None:
        """Every ``interval``: read the backlog and start or stop shedding."""
        now = time.monotonic()
        if now - self._checked < self.interval:
            return
        self._checked = now
        try:
            if not self._grouped:
                ensure_group(self._client, self.settings.stream)
                self._grouped = True
            found = backlog(self._client, self.settings.stream)
        except redis.RedisError as error:
            self._grouped = False
            self.unavailable = f"{type(error).__name__}: {error}"[:200]
            return
        if found.entries >= self.settings.maxlen * SHED_AT:
            self.shedding = "backlog"
        elif found.age > self.settings.max_age:
            self.shedding = "age"
        else:
            self.shedding = None

    def _skip(self, records: list[Record], reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + len(records)
        SKIPPED.labels(reason).inc(len(records))
        text = {"unavailable": f"queue unavailable ({self.unavailable})",
                "buffer": "the publisher's buffer is full",
                "backlog": "the queue's backlog is over its limit",
                "age": "the queue's oldest exchange is over its age limit"}.get(reason, reason)
        for record in records:
            try:
                self.skip(record, Outcome.SKIPPED_OVERLOAD, text[:300])
            except Exception:
                background_error("shadow_queue", "could not record a skipped exchange")


def control_of(record: Record) -> Observation:
    """Return the record's control observation (a record without one is refused)."""
    if record.control is None:
        raise RecordError("control: a queued exchange carries the control's answer")
    return record.control


@dataclass(frozen=True)
class Entry:
    """One stream entry as a worker reads it: the record, or why it was refused."""

    id: str
    record: Record | None
    refused: str | None = None


class StreamReader:
    """A worker's side of the stream: read new entries, claim dead workers' ones, ack."""

    def __init__(self, settings: QueueSettings, consumer: str, *, claim_idle: float = 30.0,
                 block: float = 1.0) -> None:
        self.settings = settings
        self.consumer = consumer
        self.claim_idle = claim_idle
        self.block = block
        self.sealer = Sealer(settings.key)
        self.client = settings.client(timeout=block + 5.0)
        self._claim_from = "0-0"
        self._claimed_at = 0.0
        self._lock = threading.Lock()

    def ensure_group(self) -> None:
        ensure_group(self.client, self.settings.stream)

    def read(self, count: int) -> list[Entry]:
        """Return up to ``count`` entries: pending ones idle past ``claim_idle`` first (their
        worker died or hung), else new ones, waiting at most ``block`` seconds."""
        claimed = self._claim(count)
        if claimed:
            return claimed
        answer: Any = self.client.xreadgroup(GROUP, self.consumer, {self.settings.stream: ">"},
                                             count=count, block=int(self.block * 1000))
        return [self._entry(entry_id, fields)
                for _, entries in answer or [] for entry_id, fields in entries]

    def ack(self, ids: list[str]) -> None:
        if ids:
            self.client.xack(self.settings.stream, GROUP, *ids)

    def backlog(self) -> Backlog:
        return backlog(self.client, self.settings.stream)

    def pending(self) -> int:
        info = self.client.xpending(self.settings.stream, GROUP)
        return int(info.get("pending", 0)) if isinstance(info, dict) else 0

    def _claim(self, count: int) -> list[Entry]:
        # at most once per quarter of claim_idle per process: XAUTOCLAIM walks the PEL
        with self._lock:
            now = time.monotonic()
            if now - self._claimed_at < self.claim_idle / 4 and self._claim_from == "0-0":
                return []
            self._claimed_at = now
            answer = self.client.xautoclaim(self.settings.stream, GROUP, self.consumer,
                                            int(self.claim_idle * 1000),
                                            start_id=self._claim_from, count=count)
            self._claim_from = _text(answer[0])
        return [self._entry(entry_id, fields) for entry_id, fields in answer[1] if fields]

    def _entry(self, entry_id: bytes | str, fields: dict) -> Entry:
        key = _text(entry_id)
        token = fields.get(FIELD) if fields else None
        if token is None:
            return Entry(key, None, "no sealed record in the entry")
        try:
            return Entry(key, self.sealer.open(token))
        except RecordError as error:
            return Entry(key, None, str(error))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
