"""The parity store's background writer: batches inserts from a bounded queue.

``comparison`` and ``noise`` (the Publisher hooks) only put on the queue; when it is full
the item is dropped and counted (``dropped``, ``shadow_store_dropped_total``), so a slow or
unreachable database never blocks a request. One daemon thread per process (started on
first use, so it survives gunicorn's fork) writes batches of up to ``batch_size``.
"""

from __future__ import annotations

import os
import queue
import threading
import time

from shadow.background import background_error
from shadow.comparison import Comparison
from shadow.metrics import WRITER_DROPPED, WRITER_FAILED
from shadow.store import ParityStore

Item = Comparison | tuple[str, list[str]]


class ParityWriter:
    """Publisher that writes comparisons and noise to a ParityStore in the background."""

    def __init__(
        self,
        store: ParityStore,
        *,
        max_queue: int = 10_000,
        batch_size: int = 200,
        interval: float = 0.5,
    ) -> None:
        self.store = store
        self.max_queue = max_queue
        self.batch_size = batch_size
        self.interval = interval
        self.dropped = 0
        self.failed = 0
        self.failing = False  # the last write failed (until one succeeds)
        self._pid: int | None = None
        self._lock = threading.Lock()

    def comparison(self, comparison: Comparison) -> None:
        """Queue a comparison for writing; drop and count it if the queue is full."""
        self._put(comparison)

    def noise(self, route: str, paths: list[str]) -> None:
        """Queue noise candidates of ``route`` for writing."""
        self._put((route, list(paths)))

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is written; False if ``timeout`` passed first."""
        if self._pid != os.getpid():
            return True
        deadline = time.monotonic() + timeout
        done = getattr(self._queue, "all_tasks_done", None)
        if done is None:  # gevent's monkey-patched Queue: join takes the timeout itself
            # and tells whether it finished; the stdlib's annotations cannot say that
            return bool(self._queue.join(timeout=timeout))  # type: ignore[call-arg, func-returns-value]
        with done:
            while self._queue.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                done.wait(remaining)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (waiting at most ``timeout``) and stop the thread."""
        if self._pid != os.getpid():
            return
        self.flush(timeout)
        self._stop.set()
        self._thread.join(timeout=max(self.interval * 2, 1.0))
        self._pid = None

    def _put(self, item: Item) -> None:
        try:
            self._start()
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1
            WRITER_DROPPED.inc()

    def _start(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._queue: queue.Queue[Item] = queue.Queue(maxsize=self.max_queue)
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, name="shadow-writer", daemon=True)
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

    def _write(self, batch: list[Item]) -> None:
        comparisons = [item for item in batch if isinstance(item, Comparison)]
        try:
            self.store.record(comparisons)
            self.failing = False
        except Exception:
            background_error("store_writer", "could not write comparisons",
                             count=len(comparisons))
            self.failing = True
            self.failed += len(comparisons)
            WRITER_FAILED.inc(len(comparisons))
        for item in batch:
            if isinstance(item, tuple):
                try:
                    self.store.record_noise(*item)
                except Exception:
                    background_error("store_writer", "could not write noise", route=item[0])
