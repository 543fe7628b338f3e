"""The watchdog calls each callback once its deadline has passed, in deadline order."""

from __future__ import annotations

import threading
import time

from shadow.watchdog import Watchdog


def test_callbacks_run_in_deadline_order_and_survive_failures() -> None:
    watchdog = Watchdog()
    calls: list[str] = []
    done = threading.Event()

    def fails() -> None:
        calls.append("fails")
        raise RuntimeError("callback broke")

    now = time.monotonic()
    watchdog.watch(now + 0.06, lambda: (calls.append("last"), done.set()))
    watchdog.watch(now + 0.02, fails)
    watchdog.watch(now, lambda: calls.append("first"))
    assert done.wait(10)
    assert calls == ["first", "fails", "last"]
    watchdog.close()


def test_close_drops_pending_callbacks() -> None:
    watchdog = Watchdog()
    calls: list[int] = []
    watchdog.watch(time.monotonic() + 60, lambda: calls.append(1))
    watchdog.close()
    assert calls == []
    assert not watchdog._thread.is_alive()
