"""The background batch thread the parity writer, capture writer and queue publisher share."""

from __future__ import annotations

import threading

from shadow.batches import BatchThread


class Collect(BatchThread[int]):
    thread_name = "test-batches"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.batches: list[list[int]] = []
        self.gate = threading.Event()
        self.gate.set()

    def _write(self, batch: list[int]) -> None:
        self.gate.wait(5.0)
        self.batches.append(batch)


def test_items_are_written_in_batches_of_at_most_batch_size():
    writer = Collect(max_queue=100, batch_size=3, interval=0.05)
    writer.gate.clear()  # hold the thread so the items pile up
    assert all(writer._offer(n) for n in range(7))
    writer.gate.set()
    assert writer.flush(5.0)
    writer.close()
    assert [n for batch in writer.batches for n in batch] == list(range(7))
    assert max(len(batch) for batch in writer.batches) <= 3


def test_a_full_queue_refuses_without_blocking_and_close_writes_what_is_queued():
    writer = Collect(max_queue=2, batch_size=1, interval=0.05)
    writer.gate.clear()
    offered = [writer._offer(n) for n in range(6)]
    assert offered.count(False) >= 3  # at most one in the thread's hands and two queued
    writer.gate.set()
    writer.close(5.0)
    written = [n for batch in writer.batches for n in batch]
    assert written == [n for n, ok in zip(range(6), offered, strict=True) if ok]


def test_flush_without_a_thread_in_this_process_returns_at_once():
    assert Collect(max_queue=1, batch_size=1, interval=0.05).flush(0.0)
