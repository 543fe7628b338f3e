"""The Mirror features the proxy relies on: calls waited for (dry-runs), per-route caps,
recorded skips and the race check of read mismatches."""

from __future__ import annotations

import threading

from shadow import Comparison, Mirror, Observation, Outcome
from tests.support.factories import make_exchange, make_experiment


class Recorder:
    def __init__(self) -> None:
        self.comparisons: list[Comparison] = []
        self.done = threading.Semaphore(0)

    def comparison(self, comparison: Comparison) -> None:
        self.comparisons.append(comparison)
        self.done.release()

    def noise(self, route: str, paths: list[str]) -> None:
        pass


def test_call_runs_on_the_pool_and_waits_at_most_the_timeout() -> None:
    mirror = Mirror(max_in_flight=1, timeout=1.0)
    release = threading.Event()
    try:
        assert mirror.call(lambda: Observation(201), route="r").status == 201
        hung = mirror.call(lambda: Observation(200) if release.wait(5) else None, route="r",
                           timeout=0.05)
        assert hung is not None and hung.timed_out
        assert mirror.call(lambda: Observation(200), route="r") is None  # still in flight
    finally:
        release.set()
        mirror.close()


def test_a_route_cap_below_the_mirror_cap() -> None:
    recorder = Recorder()
    mirror = Mirror([recorder], max_in_flight=4, timeout=2.0)
    release = threading.Event()
    try:
        capped = make_experiment(max_in_flight=1)
        first = mirror.submit(make_exchange("GET /a"), Observation(200),
                              lambda: release.wait(5) and Observation(200), capped)
        second = mirror.submit(make_exchange("GET /a"), Observation(200),
                               lambda: Observation(200), capped)
        other = mirror.submit(make_exchange("GET /b"), Observation(200),
                              lambda: Observation(200), capped)
        assert (str(first), str(second), str(other)) == (
            "mirrored", "skipped_overload", "mirrored")
    finally:
        release.set()
        for _ in range(3):
            recorder.done.acquire(timeout=5)
        mirror.close()
    assert sorted(str(c.outcome) for c in recorder.comparisons) == [
        "match", "match", "skipped_overload"]


def test_skip_records_the_outcome_given() -> None:
    recorder = Recorder()
    Mirror([recorder]).skip(make_exchange("r", method="post"), Observation(201),
                            Outcome.IGNORED, "body over 1 bytes")
    assert [(c.route, c.method, str(c.outcome)) for c in recorder.comparisons] == [
        ("r", "POST", "ignored")]


def test_a_mismatch_the_control_now_agrees_with_is_ignored() -> None:
    recorder = Recorder()
    mirror = Mirror([recorder])
    answers = iter([b'{"n": 2}', b'{"n": 3}'])
    try:
        for _ in range(2):
            mirror.submit(make_exchange("r", method="GET"), Observation(200, body=b'{"n": 1}'),
                          lambda: Observation(200, body=b'{"n": 2}'),
                          recheck=lambda: Observation(200, body=next(answers)))
            recorder.done.acquire(timeout=5)
    finally:
        mirror.close()
    assert [str(c.outcome) for c in recorder.comparisons] == ["ignored", "mismatch"]
