"""Background batches: items put on a bounded queue, written in batches by a daemon thread.

The parity writer, the capture writer and the queue publisher share this shape: the request
path only puts (``_offer`` never blocks; a full queue says so and the caller counts the drop);
one thread per process, started on first use so it survives gunicorn's fork, takes up to
``batch_size`` items at a time and hands them to ``_write``. ``flush`` waits for what was
queued so far; ``close`` writes what is queued and stops the thread.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from abc import ABC, abstractmethod
from typing import Generic, TypeVar

T = TypeVar("T")


class BatchThread(ABC, Generic[T]):
    """A bounded queue and the thread that writes it in batches (subclasses define _write)."""

    thread_name = "batches"

    def __init__(self, *, max_queue: int, batch_size: int, interval: float) -> None:
        self.max_queue = max_queue
        self.batch_size = batch_size
        self.interval = interval
        self._pid: int | None = None
        self._lock = threading.Lock()

    @abstractmethod
    def _write(self, batch: list[T]) -> None:
        """Write one batch (on the thread; must not raise)."""

    def _started(self) -> None:
        """Prepare this process's thread (before it runs): clients, state."""

    def _tick(self) -> None:
        """Run on the thread before each wait for items (at least every ``interval``)."""

    def _offer(self, item: T) -> bool:
        """Queue ``item`` without blocking; False when the queue is full."""
        self._start()
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            return False
        return True

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

    def _start(self) -> None:
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._queue: queue.Queue[T] = queue.Queue(maxsize=self.max_queue)
            self._stop = threading.Event()
            self._started()
            self._thread = threading.Thread(target=self._run, name=self.thread_name,
                                            daemon=True)
            self._thread.start()
            self._pid = os.getpid()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._tick()
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
