"""Watchdog: call a function when a deadline passes, from one background thread."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable

from shadow.background import background_error


class Watchdog:
    """Run callbacks at their deadlines (``time.monotonic`` seconds); works under gevent."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._condition = threading.Condition()
        self._order = itertools.count()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="shadow-watchdog", daemon=True)
        self._thread.start()

    def watch(self, deadline: float, callback: Callable[[], None]) -> None:
        """Call ``callback`` once ``deadline`` has passed (unless closed first)."""
        with self._condition:
            heapq.heappush(self._heap, (deadline, next(self._order), callback))
            self._condition.notify()

    def close(self) -> None:
        """Stop the thread; pending callbacks are dropped."""
        with self._condition:
            self._closed = True
            self._condition.notify()
        self._thread.join(timeout=1.0)

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._closed:
                    now = time.monotonic()
                    if self._heap and self._heap[0][0] <= now:
                        break
                    wait = self._heap[0][0] - now if self._heap else None
                    self._condition.wait(wait)
                if self._closed:
                    return
                due = []
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap)[2])
            for callback in due:
                try:
                    callback()
                except Exception:
                    background_error("watchdog", "watchdog callback failed")
