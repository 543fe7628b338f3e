"""Traffic capture in the request path: choose the requests to keep, tee them, queue them.

For a route whose ``capture:`` policy (shadow.capture_policy.Policy) keeps a fraction of its
requests, a request drawn (and under the route's hourly cap, counted per worker) has its
request and response bodies teed up to the policy's ``max_body``; when the response has been
sent, the exchange and the control's answer are queued to the worker's CaptureWriter, which
redacts and stores them off the request path. An exchange whose body is over ``max_body`` is
not kept. The request path's cost is the tee and one ``put_nowait``, as for shadowing.
"""

from __future__ import annotations

import atexit
import random
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from proxy.mirroring import Finish, Tee
from shadow import Exchange, Observation
from shadow.background import background_error
from shadow.capture import CaptureStore, CaptureWriter
from shadow.capture_policy import Policy
from shadow.record import Record


class Capturing:
    """One worker's capture machinery: the writer (built on first use) and hourly counts."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.database_url: str = config["SQLALCHEMY_DATABASE_URI"]
        self.writer: CaptureWriter | None = None
        self._lock = threading.Lock()
        self._hour = -1
        self._counts: dict[str, int] = {}
        self._random = random.Random()

    def plan(self, exchange: Exchange, policy: Policy | None,
             table_version: str | None) -> Capture | None:
        """Return the capture of this request, or None (not captured)."""
        if policy is None or policy.fraction <= 0.0:
            return None
        if policy.fraction < 1.0 and self._random.random() >= policy.fraction:
            return None
        hour = int(time.time() // 3600)
        with self._lock:
            if hour != self._hour:
                self._hour, self._counts = hour, {}
            count = self._counts.get(exchange.route, 0)
            if count >= policy.max_per_hour:
                return None
            self._counts[exchange.route] = count + 1
        return Capture(self._writer(), exchange, policy, table_version)

    def status(self) -> dict[str, object]:
        """Return what /health shows: captures dropped (queue full) and failed; not ok while
        the last write failed (captures are being lost)."""
        writer = self.writer
        return {"ok": writer is None or not writer.failing,
                "dropped": writer.dropped if writer else 0,
                "failed": writer.failed if writer else 0}

    def _writer(self) -> CaptureWriter:
        if self.writer is not None:
            return self.writer
        with self._lock:
            if self.writer is None:
                from shadow import engine_from_url

                self.writer = CaptureWriter(CaptureStore(engine_from_url(self.database_url)))
                atexit.register(self.close)
        return self.writer

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class Capture:
    """The capture of one request: tee both bodies, queue the record once it is answered."""

    def __init__(self, writer: CaptureWriter, exchange: Exchange, policy: Policy,
                 table_version: str | None) -> None:
        self.writer = writer
        self.exchange = exchange
        self.policy = policy
        self.table_version = table_version
        self.request = Tee(policy.max_body)
        self.has_body = False

    def request_body(self, body: Iterator[bytes] | None) -> Iterator[bytes] | None:
        """Tee the request body as the serving side reads it."""
        if body is None:
            return None
        self.has_body = True
        return self.request.wrap(body)

    def observe(self, status: int, headers: list[tuple[str, str]], chunks: Iterable[bytes],
                finish: Finish, started: float, reason: str | None = None
                ) -> tuple[Iterable[bytes], Finish]:
        """Tee the response (``reason``: its status line's phrase, as sent); queue the record
        once it has been sent whole."""
        response = Tee(self.policy.max_body)

        def finished(error: BaseException | None) -> None:
            try:
                finish(error)
            finally:
                if error is None and not response.overflow and not self.request.overflow:
                    self._queue(Observation(status, list(headers), response.body,
                                            time.perf_counter() - started, reason=reason))

        return response.wrap(chunks), finished

    def _queue(self, control: Observation) -> None:
        try:
            exchange = self.exchange.with_body(self.request.body if self.has_body else None)
            self.writer.put(Record(exchange, control, self.table_version), self.policy)
        except Exception:
            background_error("capture", "could not queue a captured exchange",
                             route=self.exchange.route)
