"""The parity store's background writer: batches inserts from a bounded queue.

``comparison`` and ``noise`` (the Publisher hooks) only put on the queue; when it is full
the item is dropped and counted (``dropped``, ``shadow_store_dropped_total``), so a slow or
unreachable database never blocks a request. One daemon thread per process (started on
first use, so it survives gunicorn's fork) writes batches of up to ``batch_size``.
"""

from __future__ import annotations

from shadow.background import background_error
from shadow.batches import BatchThread
from shadow.comparison import Comparison
from shadow.metrics import WRITER_DROPPED, WRITER_FAILED
from shadow.store import ParityStore

Item = Comparison | tuple[str, list[str]]


class ParityWriter(BatchThread[Item]):
    """Publisher that writes comparisons and noise to a ParityStore in the background."""

    thread_name = "shadow-writer"

    def __init__(
        self,
        store: ParityStore,
        *,
        max_queue: int = 10_000,
        batch_size: int = 200,
        interval: float = 0.5,
    ) -> None:
        super().__init__(max_queue=max_queue, batch_size=batch_size, interval=interval)
        self.store = store
        self.dropped = 0
        self.failed = 0
        self.failing = False  # the last write failed (until one succeeds)

    def comparison(self, comparison: Comparison) -> None:
        """Queue a comparison for writing; drop and count it if the queue is full."""
        self._put(comparison)

    def noise(self, route: str, paths: list[str]) -> None:
        """Queue noise candidates of ``route`` for writing."""
        self._put((route, list(paths)))

    def _put(self, item: Item) -> None:
        if not self._offer(item):
            self.dropped += 1
            WRITER_DROPPED.inc()

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
