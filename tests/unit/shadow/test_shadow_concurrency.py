"""A mismatch that raced another write to the same resource is ``concurrent_write``.

The registry is driven with explicit wall-clock times, so overlaps are decided by the values
given, never by how fast the test runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from shadow.comparison import Comparison
from shadow.concurrency import SharedWrites, Writes
from shadow.mirror import Mirror
from shadow.observation import Observation, Outcome
from shadow.report import RouteReport
from tests.support.factories import Recorder, make_exchange, make_experiment, make_observation

ARTICLE = "/api/articles/how-to"


def test_a_write_overlaps_a_window_it_touches_while_running_or_ending_inside_it() -> None:
    writes = Writes()
    running = writes.begin([ARTICLE, "/api/articles"], start=100.0)
    assert writes.overlapping([ARTICLE], 150.0, 160.0) == [ARTICLE]  # still running
    writes.end(running, end=120.0)
    assert writes.overlapping([ARTICLE], 110.0, 130.0) == [ARTICLE]  # ended inside
    assert writes.overlapping([ARTICLE], 90.0, 101.0) == [ARTICLE]   # started inside
    assert writes.overlapping([ARTICLE], 121.0, 130.0) == []   # answered before: no race
    assert writes.overlapping([ARTICLE], 50.0, 99.0) == []     # started after the window
    assert writes.overlapping(["/api/articles/other"], 110.0, 130.0) == []  # another article
    assert writes.overlapping([ARTICLE], 110.0, 130.0, own=running) == []  # itself
    assert writes.overlapping([], 0.0, 1e12) == []


def test_old_writes_are_forgotten_and_the_registry_is_bounded() -> None:
    writes = Writes(horizon=60.0, limit=3)
    old = writes.begin([ARTICLE], start=1.0)
    writes.end(old, end=2.0)
    writes.begin(["/a"])  # now is far past 2.0 + 60: the old write is dropped
    assert len(writes) == 1
    for _ in range(5):
        writes.begin(["/b"])
    assert len(writes) == 3  # the oldest go first at the limit
    writes.end(None)  # a request that was never a write: nothing to end


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def mirror_with(recorder: Recorder, writes: Writes | None) -> Mirror:
    return Mirror([recorder], max_in_flight=2, timeout=5.0, writes=writes)


@pytest.fixture
def writes() -> Iterator[Writes]:
    yield Writes()


def read(started: float) -> object:
    exchange = make_exchange("GET /api/articles/:slug", path=ARTICLE)
    return replace(exchange, started=started, resources=(ARTICLE,))


def compared(recorder: Recorder, registry: Writes | None, exchange: object,
             control: Observation, candidate: Observation, **settings: object) -> Comparison:
    mirror = mirror_with(recorder, registry)
    try:
        mirror.submit(exchange, control, lambda: candidate,  # type: ignore[arg-type]
                      make_experiment(**settings))
        return recorder.wait()[0]
    finally:
        mirror.close()


def test_a_mismatch_that_raced_a_write_to_its_resource_is_concurrent_write(
        recorder: Recorder, writes: Writes) -> None:
    writes.begin([ARTICLE, "/api/articles"], start=1000.0)  # still running
    comparison = compared(recorder, writes, read(started=1000.5),
                          make_observation({"favoritesCount": 1}),
                          make_observation({"favoritesCount": 2}))
    assert comparison.outcome is Outcome.CONCURRENT_WRITE
    assert ARTICLE in comparison.result.reason
    assert comparison.result.paths == ["body.favoritesCount"]  # kept, for diagnosis


def test_a_match_that_raced_a_write_stays_a_match(recorder: Recorder, writes: Writes) -> None:
    writes.begin([ARTICLE], start=1000.0)
    same = make_observation({"favoritesCount": 1})
    assert compared(recorder, writes, read(1000.5), same, same).outcome is Outcome.MATCH


def test_a_mismatch_without_a_racing_write_stays_a_mismatch(recorder: Recorder,
                                                            writes: Writes) -> None:
    done = writes.begin([ARTICLE], start=1000.0)
    writes.end(done, end=1000.2)  # answered before this read arrived
    writes.begin(["/api/articles/other"], start=1000.0)  # another article, still running
    comparison = compared(recorder, writes, read(started=1000.5),
                          make_observation({"favoritesCount": 1}),
                          make_observation({"favoritesCount": 2}))
    assert comparison.outcome is Outcome.MISMATCH


def test_a_dry_run_does_not_race_itself_but_does_race_another_write(recorder: Recorder,
                                                                    writes: Writes) -> None:
    own = writes.begin([ARTICLE, "/api/articles"], start=1000.0)
    exchange = replace(make_exchange("POST /api/articles/:slug/favorite",
                                     path=ARTICLE + "/favorite"),
                       started=1000.0, resources=(ARTICLE,), write=own)
    control, candidate = make_observation({"n": 3}), make_observation({"n": 2})
    alone = compared(recorder, writes, exchange, control, candidate, writes="dry-run")
    assert alone.outcome is Outcome.MISMATCH
    writes.begin([ARTICLE, "/api/articles"], start=1000.1)  # another client's favourite
    raced = compared(Recorder(), writes, exchange, control, candidate, writes="dry-run")
    assert raced.outcome is Outcome.CONCURRENT_WRITE


def test_without_a_registry_a_mismatch_is_a_mismatch(recorder: Recorder) -> None:
    comparison = compared(recorder, None, read(started=0.0), make_observation({"n": 1}),
                          make_observation({"n": 2}))
    assert comparison.outcome is Outcome.MISMATCH


def test_concurrent_writes_are_counted_apart_from_parity() -> None:
    report = RouteReport("GET /api/articles/:slug", compared=10)
    report.outcomes.update({"match": 6, "mismatch": 0, "concurrent_write": 4})
    assert report.match_pct == 100.0  # neither a match nor a mismatch
    assert report.as_dict()["concurrent_write"] == 4


def test_effects_differences_count_a_write_that_landed_while_the_rows_were_read_back(
        recorder: Recorder, writes: Writes) -> None:
    """The window of a dry-run whose rows are read back ends after that read, not before."""
    from shadow.observation import Difference, Kind

    own = writes.begin([ARTICLE], start=time.time())
    exchange = replace(make_exchange("PUT /api/articles/:slug", method="PUT", path=ARTICLE),
                       started=time.time(), resources=(ARTICLE,), write=own)
    same = make_observation({"article": {"body": "mine"}})

    def read_back() -> tuple[list[Difference], float | None]:
        other = writes.begin([ARTICLE])  # another client's update commits during the read
        writes.end(other)
        return [Difference("effects.articles[~].body", Kind.CHANGED, '"theirs"', '"mine"')], None

    mirror = mirror_with(recorder, writes)
    try:
        mirror.submit(exchange, same, lambda: same, make_experiment(writes="dry-run"),
                      effects=read_back)
        comparison = recorder.wait()[0]
    finally:
        mirror.close()
    assert comparison.outcome is Outcome.CONCURRENT_WRITE
    assert comparison.result.paths == ["effects.articles[~].body"]


def test_effects_differences_make_a_matching_answer_a_mismatch(recorder: Recorder) -> None:
    from shadow.observation import Difference, Kind

    same = make_observation({"profile": {"following": False}})
    mirror = mirror_with(recorder, Writes())
    try:
        mirror.submit(make_exchange("DELETE /api/profiles/:username/follow", method="DELETE"),
                      same, lambda: same, make_experiment(writes="dry-run"),
                      effects=lambda: ([Difference("effects.follows[-]",
                                                   Kind.MISSING_IN_CANDIDATE, "{}", None)], None))
        comparison = recorder.wait()[0]
    finally:
        mirror.close()
    assert comparison.outcome is Outcome.MISMATCH
    assert comparison.result.paths == ["effects.follows[-]"]


def test_workers_sharing_a_registry_see_each_others_writes(tmp_path: Path) -> None:
    """Two registries on one file stand for two gunicorn workers of one server."""
    one, two = SharedWrites(tmp_path / "writes", slots=8), SharedWrites(tmp_path / "writes",
                                                                         slots=8)
    now = time.time()
    try:
        mine = one.begin([ARTICLE, "/api/articles"], start=now)
        theirs = two.begin([ARTICLE, "/api/articles"], start=now + 0.1)
        assert one.overlapping([ARTICLE], now, now + 1, own=mine) == [ARTICLE]
        two.end(theirs, end=now + 0.2)
        assert one.overlapping([ARTICLE], now + 0.3, now + 1, own=mine) == []  # ended before
        assert one.overlapping([ARTICLE], now + 0.15, now + 1, own=mine) == [ARTICLE]
        assert two.overlapping(["/api/articles/other"], now - 1, now + 1) == []
        assert len(one) == len(two) == 2
        for _ in range(20):  # a ring: the oldest slots are reused, the size stays bounded
            two.end(two.begin(["/b"], start=now - 50), end=now - 49)
        assert len(one) == 8
        assert one.overlapping([ARTICLE], now, now + 1) == []  # overwritten
    finally:
        one.close()
        two.close()


def test_a_shared_write_that_never_ended_is_forgotten_after_the_horizon(tmp_path: Path) -> None:
    writes = SharedWrites(tmp_path / "writes", slots=8, horizon=60.0)
    try:
        writes.begin([ARTICLE], start=time.time() - 600)  # its worker died mid-request
        assert writes.overlapping([ARTICLE], time.time() - 1, time.time()) == []
        writes.begin([ARTICLE])
        assert writes.overlapping([ARTICLE], time.time() - 1, time.time()) == [ARTICLE]
    finally:
        writes.close()


def test_the_proxys_workers_switch_to_the_servers_registry(tmp_path: Path) -> None:
    from proxy.mirroring import Shadowing

    shadowing = Shadowing({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
                           "SHADOW_MAX_BODY_BYTES": 1024})
    server = f"test{os.getpid()}"
    shadowing.share_writes(server)
    other = SharedWrites.for_server(server)
    try:
        assert isinstance(shadowing.writes, SharedWrites)
        token = other.begin([ARTICLE])
        assert shadowing.writes.overlapping([ARTICLE], 0.0, time.time() + 1) == [ARTICLE]
        other.end(token)
    finally:
        other.close()
        shadowing.writes.close()  # type: ignore[attr-defined]
        other.path.unlink()


def test_a_read_whose_control_answers_the_same_again_is_a_mismatch_despite_a_race(
        recorder: Recorder, writes: Writes) -> None:
    """The race changed nothing the read shows: the difference is the candidate's."""
    writes.begin([ARTICLE, "/api/articles"], start=1000.0)  # the client's next write, running
    control = make_observation({"comments": [{"id": 1}]})
    mirror = mirror_with(recorder, writes)
    try:
        mirror.submit(read(started=1000.5), control,
                      lambda: make_observation({"comments": [{"id": "1"}]}),
                      make_experiment(), recheck=lambda: control)
        stable = recorder.wait()[0]
        changed = Recorder()
        mirror.publishers = [changed]
        mirror.submit(read(started=1000.5), control,
                      lambda: make_observation({"comments": [{"id": "1"}]}),
                      make_experiment(), recheck=lambda: make_observation({"comments": []}))
        raced = changed.wait()[0]
    finally:
        mirror.close()
    assert stable.outcome is Outcome.MISMATCH
    assert raced.outcome is Outcome.CONCURRENT_WRITE


def test_a_write_sent_after_the_rows_were_held_is_no_race(recorder: Recorder,
                                                         writes: Writes) -> None:
    """The read-back's view was fixed before the client got its answer: the client's next
    write (same article) cannot be in it, so it does not excuse the difference."""
    from shadow.observation import Difference, Kind

    own = writes.begin([ARTICLE], start=time.time())
    exchange = replace(make_exchange("PUT /api/articles/:slug", method="PUT", path=ARTICLE),
                       started=time.time(), resources=(ARTICLE,), write=own)
    writes.end(own)
    held = time.time()
    writes.begin([ARTICLE], start=held + 0.001)  # the client's next request, still running
    same = make_observation({"article": {"body": "changed"}})
    mirror = mirror_with(recorder, writes)
    try:
        mirror.submit(exchange, same, lambda: same, make_experiment(writes="dry-run"),
                      effects=lambda: ([Difference("effects.articles[~].body",
                                                   Kind.MISSING_IN_CANDIDATE, '"changed"',
                                                   None)], held))
        comparison = recorder.wait()[0]
    finally:
        mirror.close()
    assert comparison.outcome is Outcome.MISMATCH
