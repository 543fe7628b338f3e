"""Shadow mode in the request path: plan each shadowed request, tee its bodies, mirror it.

For a route whose entry says ``shadow``, the side that serves is the control and the other
side the candidate. The client gets the control's response streamed as usual; the proxy
keeps a copy of the request and response bodies up to ``SHADOW_MAX_BODY_BYTES`` (1 MiB) and,
when the response has been sent, hands the control's Observation and a candidate call to the
worker's Mirror (shadow/), which runs it off the request path. Bodies over the cap are not
compared (recorded as ``ignored``). Writes are mirrored only with ``writes: dry-run`` and a
Flask candidate: it runs first, under a signed dry-run marker, waited for at most the
candidate timeout (proxy.mirror_sides). A Flask candidate's mirrored reads carry a marker
signed ``read-only``: they run in a read-only transaction, so a write on a read fails as the
candidate's own ``candidate_error`` and never reaches the shared data.

A dry-run's row changes are compared too (shadow.effects): when the candidate has answered,
the rows its report names are read from the shared database before the control runs, and
read again in the Mirror's worker after the control committed.
"""

from __future__ import annotations

import atexit
import itertools
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from proxy.body import BodyTooLarge
from proxy.dryrun import dry_run_marker, read_only_marker
from proxy.mirror_sides import Sides
from proxy.schema import ShadowDefaults
from shadow import (
    Exchange,
    Experiment,
    Metrics,
    Mirror,
    Observation,
    Outcome,
    ParityStore,
    ParityWriter,
)
from shadow.background import background_error
from shadow.concurrency import SharedWrites, Writes
from shadow.effects import Schema, Watch
from shadow.eligibility import DRY_RUN, SAFE_METHODS, Submission
from shadow.observation import Difference
from shadow.queue import QueuePublisher, QueueSettings
from shadow.record import Record

Finish = Callable[[BaseException | None], None]


class Tee:
    """Keep a copy of a body up to ``cap`` bytes; past the cap keep nothing, remember why."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[bytes] = []
        self.size = 0
        self.overflow = False

    def add(self, chunk: bytes) -> None:
        if self.overflow:
            return
        self.size += len(chunk)
        if self.size > self.cap:
            self.overflow, self.parts = True, []
        else:
            self.parts.append(chunk)

    def wrap(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.add(chunk)
            yield chunk

    @property
    def body(self) -> bytes:
        return b"".join(self.parts)


class Shadowing:
    """One worker's shadow machinery: Mirror and ParityWriter, built on first use (after fork)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.database_url: str = config["SQLALCHEMY_DATABASE_URI"]
        self.cap = int(config["SHADOW_MAX_BODY_BYTES"])  # read once by create_app
        self._mirror: Mirror | None = None
        self._lock = threading.Lock()
        self.writer: ParityWriter | None = None
        self.writes = Writes()  # this worker's writes: ``concurrent_write`` (shadow.concurrency)
        self.schema: Schema | None = None  # the shared database, for dry-runs' effects
        # SHADOW_QUEUE_URL: reads are published to the stream for shadow workers (issue 13)
        self.queue_settings = QueueSettings.from_settings(config.get("SETTINGS"))
        self.queue: QueuePublisher | None = None

    def mirror(self, defaults: ShadowDefaults) -> Mirror:
        """Return the worker's Mirror (its size is the global ``shadow.max_in_flight``)."""
        if self._mirror is not None:
            return self._mirror
        with self._lock:
            if self._mirror is not None:
                return self._mirror
            from shadow import engine_from_url

            engine = engine_from_url(self.database_url)
            self.writer = ParityWriter(ParityStore(engine))
            # its own pool: each dry-run in flight may hold a read-back snapshot (Watch.hold)
            self.schema = Schema(engine_from_url(self.database_url, pool_size=4,
                                                 max_overflow=4 * defaults.max_in_flight,
                                                 pool_timeout=1.0))
            self._mirror = Mirror([self.writer, Metrics()], max_in_flight=defaults.max_in_flight,
                                  timeout=defaults.timeout, writes=self.writes)
            if self.queue_settings is not None:
                mirror = self._mirror
                self.queue = QueuePublisher(self.queue_settings, lambda record, outcome, why:
                                            mirror.skip(record.exchange, record.control or
                                                        Observation(None), outcome, why))
            atexit.register(self.close)  # a worker that exits writes what it has queued
        return self._mirror

    def share_writes(self, server: str) -> None:
        """Use the write registry of all the server's workers (gunicorn's post_worker_init):
        a race with another worker's write is then ``concurrent_write`` too."""
        self.writes = SharedWrites.for_server(server)
        if self._mirror is not None:
            self._mirror.writes = self.writes

    def status(self) -> dict[str, object]:
        """Return what /health shows: candidate calls in flight, store writes dropped/failed.

        Not ok while the parity store's last write failed: comparisons are being lost.
        """
        writer = self.writer
        return {
            "ok": writer is None or not writer.failing,
            "in_flight": self._mirror.in_flight if self._mirror else 0,
            "store_dropped": writer.dropped if writer else 0,
            "store_failed": writer.failed if writer else 0,
            **({"queue": self.queue.status()} if self.queue is not None else {}),
        }

    def close(self) -> None:
        if self.queue is not None:
            self.queue.close()
        if self._mirror is not None:
            self._mirror.close()
        if self.writer is not None:
            self.writer.close()

    def plan(self, exchange: Exchange, experiment: Experiment, defaults: ShadowDefaults,
             sides: Sides, version: str | None = None) -> Shadow | None:
        """Return the shadow plan of a request, or None (not sampled)."""
        mirror = self.mirror(defaults)
        if not mirror.sampler.sampled(experiment.sample):
            return None
        return Shadow(mirror, self.cap, exchange, experiment, sides, self.schema, self.queue,
                      version)


class Shadow:
    """The shadow side of one request: what to tee, what to call, what to submit."""

    def __init__(self, mirror: Mirror, cap: int, exchange: Exchange, experiment: Experiment,
                 sides: Sides, schema: Schema | None = None,
                 queue: QueuePublisher | None = None, version: str | None = None) -> None:
        self.mirror = mirror
        self.schema = schema
        self.watch: Watch | None = None
        self.queue = queue  # reads go to the shadow workers through it (None: in-process)
        self.version = version  # the route table's, carried by a queued Record
        self.cap = cap
        self.exchange = exchange
        self.experiment = experiment
        self.sides = sides
        self.method = exchange.method.upper()
        self.timeout = experiment.timeout or mirror.timeout
        self.calibrate = experiment.calibrate > 0 and mirror.sampler.sampled(experiment.calibrate)
        # Legacy as candidate never receives writes, whatever the route says.
        self.writes = experiment.writes if exchange.candidate_side == "flask" else None
        self.safe = self.method in SAFE_METHODS
        self.mirrored = self.safe or self.writes == DRY_RUN
        self.request = Tee(self.cap)
        self.has_body = False
        self.first: Observation | None = None

    def request_body(self, body: Iterator[bytes] | None) -> Iterator[bytes] | None:
        """Tee the request body (dry-run: read it now, up to the cap, for the candidate)."""
        if body is None or not self.mirrored:
            return body
        self.has_body = True
        if self.safe:
            return self.request.wrap(body)
        read: list[bytes] = []
        try:
            for chunk in body:
                read.append(chunk)
                self.request.add(chunk)
                if self.request.overflow:
                    break
        except BodyTooLarge as error:
            self.request.overflow = True
            return itertools.chain(read, _raising(error))
        return itertools.chain(read, body)

    def before_control(self) -> None:
        """Dry-run writes: run the candidate now, on the pool, waiting at most its timeout."""
        if self.safe or not self.mirrored or self.request.overflow:
            return
        marker = dry_run_marker(self.sides.backend().config)
        exchange = self._with_body()
        self.first = self.mirror.call(
            lambda: self.sides.call("flask", exchange, timeout=self.timeout, cap=self.cap,
                                    marker=marker),
            route=exchange.route, timeout=self.timeout,
            route_cap=self.experiment.max_in_flight,
        )
        report = self.first.effects if self.first is not None else None
        if report is not None and self.schema is not None:
            try:
                watch = Watch(self.schema, report)
                watch.snapshot()  # before the control writes: the rows as they were
                self.watch = watch
            except Exception:
                background_error("shadow_effects", "could not read the rows a dry-run named",
                                 route=exchange.route)

    def observe(self, status: int, headers: list[tuple[str, str]], chunks: Iterable[bytes],
                finish: Finish, started: float, reason: str | None = None
                ) -> tuple[Iterable[bytes], Finish]:
        """Tee the control's response (``reason``: its status line's phrase, as sent);
        submit the comparison once it has been sent."""
        response = Tee(self.cap)
        if self.watch is not None:
            try:
                self.watch.hold()  # the control committed; the client has not seen it yet
            except Exception:
                background_error("shadow_effects", "could not hold the rows' read-back",
                                 route=self.exchange.route)

        def finished(error: BaseException | None) -> None:
            try:
                finish(error)
            finally:
                if error is None:
                    duration = time.perf_counter() - started
                    self._submit(Observation(status, headers, response.body, duration,
                                             reason=reason),
                                 response.overflow)
                elif self.watch is not None:
                    self.watch.release()

        return (response.wrap(chunks) if self.mirrored else chunks), finished

    def _submit(self, control: Observation, overflow: bool) -> None:
        submitted = None
        try:
            exchange = self._with_body()
            if self.mirrored and (overflow or self.request.overflow):
                self.mirror.skip(exchange, control, Outcome.IGNORED,
                                 f"body over {self.cap} bytes: not compared")
                return
            if not self.safe and self.mirrored and self.first is None:
                self.mirror.skip(exchange, control, Outcome.SKIPPED_OVERLOAD,
                                 "in-flight cap reached before the dry-run")
                return
            if self.safe and self.queue is not None:  # queued: the only shadow work here
                self.queue.publish(Record(exchange, control, self.version))
                return
            experiment = replace(self.experiment, timeout=self.timeout, writes=self.writes)
            submitted = self.mirror.submit(
                exchange, control, self._candidate(exchange), experiment,
                recheck=self._caller(exchange.control_side, exchange) if self.safe else None,
                calibrate=self.calibrate, sampled=True, effects=self._effects())
        except Exception:
            background_error("shadow_submit", "could not submit a comparison",
                             route=self.exchange.route)
        finally:
            if submitted is not Submission.MIRRORED and self.watch is not None:
                self.watch.release()  # no comparison will read the held rows

    def _effects(self) -> Callable[[], tuple[list[Difference], float | None]] | None:
        watch = self.watch
        if watch is None:
            return None

        def check() -> tuple[list[Difference], float | None]:
            read_at = watch.read_at
            return watch.differences(), read_at

        return check

    def _with_body(self) -> Exchange:
        return self.exchange.with_body(self.request.body if self.has_body else None)

    def _candidate(self, exchange: Exchange) -> Callable[[], Observation]:
        if self.first is not None:
            first = self.first
            return lambda: first
        return self._caller(exchange.candidate_side, exchange,
                            read_only=exchange.candidate_side == "flask" and self.safe)

    def _caller(self, side: str, exchange: Exchange,
                read_only: bool = False) -> Callable[[], Observation]:
        def call() -> Observation:
            # signed at call time: the marker is valid for 30 s, the call may wait in the queue
            marker = read_only_marker(self.sides.backend().config) if read_only else None
            return self.sides.call(side, exchange, timeout=self.timeout, cap=self.cap,
                                   marker=marker)

        return call


def _raising(error: BaseException) -> Iterator[bytes]:
    raise error
    yield b""  # a generator: the error surfaces when the control reads this far
