"""Record what a blinker signal sends while a block runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from blinker import Signal


@contextmanager
def received(signal: Signal) -> Iterator[list[tuple[Any, dict]]]:
    calls: list[tuple[Any, dict]] = []

    def receiver(sender: Any, **data: Any) -> None:
        calls.append((sender, data))

    signal.connect(receiver)
    try:
        yield calls
    finally:
        signal.disconnect(receiver)
