"""The background writer: batches, never blocks the caller, drops and counts when full."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from shadow.comparison import Comparison
from shadow.observation import Outcome
from shadow.writer import ParityWriter

ROUTE = "GET /api/tags"


class SlowStore:
    """Stands in for ParityStore: records batches, can be held shut or made to fail."""

    def __init__(self) -> None:
        self.batches: list[list[Comparison]] = []
        self.noise: list[tuple[str, list[str]]] = []
        self.open = threading.Event()
        self.open.set()
        self.fail = False

    def record(self, batch: list[Comparison]) -> None:
        self.open.wait(10)
        if self.fail:
            raise OSError("database unreachable")
        self.batches.append(batch)

    def record_noise(self, route: str, paths: list[str]) -> None:
        self.noise.append((route, paths))


@pytest.fixture
def store() -> Iterator[SlowStore]:
    store = SlowStore()
    yield store
    store.open.set()


def comparison(n: int = 0) -> Comparison:
    return Comparison(ROUTE, "GET", Outcome.MATCH, "legacy", request_id=str(n))


def test_everything_queued_is_written_in_batches(store) -> None:
    writer = ParityWriter(store, batch_size=10, interval=0.01)
    store.open.clear()
    for n in range(25):
        writer.comparison(comparison(n))
    writer.noise(ROUTE, ["body.at"])
    store.open.set()
    assert writer.flush(10)
    written = [c.request_id for batch in store.batches for c in batch]
    assert written == [str(n) for n in range(25)]
    assert max(len(batch) for batch in store.batches) <= 10
    assert store.noise == [(ROUTE, ["body.at"])]
    writer.close()


def test_a_full_queue_drops_and_counts_instead_of_blocking(store) -> None:
    writer = ParityWriter(store, max_queue=5, batch_size=1, interval=0.01)
    store.open.clear()  # the database hangs
    for n in range(50):
        writer.comparison(comparison(n))  # returns at once every time
    assert writer.dropped >= 50 - 5 - 1
    store.open.set()
    assert writer.flush(10)
    assert sum(len(b) for b in store.batches) + writer.dropped == 50
    writer.close()


def test_a_failing_database_is_counted_and_the_writer_keeps_going(store) -> None:
    writer = ParityWriter(store, interval=0.01)
    store.fail = True
    writer.comparison(comparison(1))
    assert writer.flush(10)
    assert writer.failed == 1
    assert writer.failing  # /health reports the shadow check as failing meanwhile
    store.fail = False
    writer.comparison(comparison(2))
    assert writer.flush(10)
    assert not writer.failing
    assert [c.request_id for b in store.batches for c in b] == ["2"]
    writer.close()
