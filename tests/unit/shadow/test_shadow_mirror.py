"""The Mirror: candidates that hang, raise or return garbage never reach the caller."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest

from shadow.comparison import Comparison
from shadow.eligibility import Sampler, Submission
from shadow.mirror import Mirror
from shadow.observation import Observation, Outcome
from shadow.rules import Rules
from tests.support.factories import WAIT, Recorder, make_exchange, make_experiment

ROUTE = "GET /api/articles/:slug"


class Broken:
    """A publisher that always fails: the others must still be told."""

    def comparison(self, comparison: Comparison) -> None:
        raise RuntimeError("publisher down")

    def noise(self, route: str, paths: list[str]) -> None:
        raise RuntimeError("publisher down")


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event hanging candidates wait on; set at teardown so their threads finish."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def mirror(recorder: Recorder) -> Iterator[Mirror]:
    mirror = Mirror([Broken(), recorder], max_in_flight=2, timeout=5.0)
    yield mirror
    mirror.close()


@pytest.fixture
def control(observe) -> Observation:
    return observe({"article": {"slug": "a", "title": "A"}})


def wait_idle(mirror: Mirror) -> None:
    done = threading.Event()
    for _ in range(1000):
        if mirror.in_flight == 0:
            return
        done.wait(0.01)
    raise AssertionError("candidate calls still running")


def submit(mirror: Mirror, control: Observation, candidate, *, route: str = ROUTE,
           method: str | None = "GET", request_id: str | None = None,
           control_side: str = "legacy", recheck=None, calibrate: bool = False,
           **settings) -> Submission:
    exchange = make_exchange(route, request_id=request_id, control_side=control_side)
    if method != exchange.method:
        exchange = replace(exchange, method=method)
    return mirror.submit(exchange, control, candidate, make_experiment(**settings),
                         recheck=recheck, calibrate=calibrate)


def test_a_matching_candidate_is_published(mirror, recorder, control, observe) -> None:
    decision = submit(
        mirror, control, lambda: observe({"article": {"title": "A", "slug": "a"}}, side="flask"),
        request_id="req-1", control_side="legacy",
    )  # fmt: skip
    assert decision is Submission.MIRRORED
    [comparison] = recorder.wait()
    assert comparison.outcome is Outcome.MATCH
    assert (comparison.route, comparison.method, comparison.request_id) == (ROUTE, "GET", "req-1")
    assert (comparison.control_status, comparison.candidate_status) == (200, 200)
    assert comparison.candidate_ms == 10.0  # the observation's own duration, 0.01 s


def test_a_mismatch_carries_the_differences(mirror, recorder, control, observe) -> None:
    submit(mirror, control, lambda: observe({"article": {"slug": "a", "title": "B"}}))
    [comparison] = recorder.wait()
    assert comparison.outcome is Outcome.MISMATCH
    assert comparison.result.paths == ["body.article.title"]


def raises() -> Observation:
    raise ConnectionError("candidate refused the connection")


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        (raises, "candidate refused the connection"),
        (lambda: None, "returned NoneType, not an Observation"),
        (lambda: b"HTTP/1.1 200 OK", "returned bytes, not an Observation"),
        (lambda: Observation(200, {"Content-Type": "text/html"}, body="str"), "could not compare"),
        (lambda: Observation(200, headers=None, body=b""), "could not compare"),
        (lambda: Observation(200, headers=[("broken",)], body=b""), "could not compare"),
    ],
)
def test_a_failing_candidate_is_recorded_not_raised(
    mirror, recorder, control, candidate, reason
) -> None:
    assert submit(mirror, control, candidate) is Submission.MIRRORED
    [comparison] = recorder.wait()
    assert comparison.outcome is Outcome.CANDIDATE_ERROR
    assert reason in comparison.result.reason


def test_a_hanging_candidate_times_out_and_its_late_answer_is_dropped(
    mirror, recorder, control, observe, release
) -> None:
    def hangs() -> Observation:
        release.wait(WAIT)
        return observe({"article": {"slug": "a", "title": "A"}})

    assert submit(mirror, control, hangs, timeout=0.05) is Submission.MIRRORED
    [comparison] = recorder.wait()
    assert comparison.outcome is Outcome.TIMEOUT
    assert comparison.candidate_status is None
    release.set()
    wait_idle(mirror)
    assert [c.outcome for c in recorder.comparisons] == [Outcome.TIMEOUT]


def test_at_the_cap_requests_are_skipped_not_queued(
    mirror, recorder, control, observe, release
) -> None:
    def hangs() -> Observation:
        release.wait(WAIT)
        return observe({"article": {"slug": "a", "title": "A"}})

    assert submit(mirror, control, hangs, timeout=0.05) is Submission.MIRRORED
    assert submit(mirror, control, hangs, timeout=0.05) is Submission.MIRRORED
    recorder.wait(2)  # both timed out, yet both calls still hold their slot
    assert mirror.in_flight == 2
    assert submit(mirror, control, hangs) is Submission.SKIPPED_OVERLOAD
    assert recorder.comparisons[-1].outcome is Outcome.SKIPPED_OVERLOAD
    release.set()
    wait_idle(mirror)
    assert submit(mirror, control, lambda: observe({"x": 1})) is Submission.MIRRORED
    assert recorder.wait(4)[-1].outcome is Outcome.MISMATCH


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_unsafe_methods_are_skipped_unless_dry_run(mirror, recorder, control, method) -> None:
    called = []
    assert submit(mirror, control, lambda: called.append(1), method=method) is (
        Submission.SKIPPED_UNSAFE
    )
    assert recorder.comparisons[-1].outcome is Outcome.SKIPPED_UNSAFE
    assert submit(mirror, control, raises, method=method, writes="dry-run") is Submission.MIRRORED
    assert recorder.wait(2)[-1].outcome is Outcome.CANDIDATE_ERROR
    assert called == []


def test_unsampled_requests_are_not_mirrored_or_recorded(recorder, control) -> None:
    class Never:
        def random(self) -> float:
            return 0.99

    mirror = Mirror([recorder], sampler=Sampler(Never()))
    called = []
    assert submit(mirror, control, lambda: called.append(1), sample=0.5) is Submission.UNSAMPLED
    assert (called, recorder.comparisons) == ([], [])


def test_submit_never_raises(mirror, control) -> None:
    assert submit(mirror, control, raises, method=None) is Submission.FAILED


def test_recheck_publishes_noise(mirror, recorder, control, observe) -> None:
    submit(
        mirror, control, lambda: control,
        recheck=lambda: observe({"article": {"slug": "a", "title": "A", "at": 2}}),
        calibrate=True, rules=Rules(),
    )  # fmt: skip
    assert recorder.wait_noise() == [(ROUTE, ["body.article.at"])]


def test_works_under_gevent_monkey_patching() -> None:
    script = textwrap.dedent(
        """
        from gevent import monkey; monkey.patch_all()
        import json, threading, time
        import gevent
        from shadow.exchange import Exchange
        from shadow.mirror import Mirror
        from shadow.observation import Observation

        done = threading.Event(); seen = []; kinds = []
        class Recorder:
            def comparison(self, c):
                seen.append(str(c.outcome))
                if len(seen) == 4: done.set()
            def noise(self, route, paths): pass
        mirror = Mirror([Recorder()], max_in_flight=2, timeout=0.1)
        ok = Observation(200, {"Content-Type": "application/json"}, b'{"a": 1}')
        def hangs():
            time.sleep(30)
        def fails():
            kinds.append(type(gevent.getcurrent()).__name__)
            raise OSError("down")
        def settle(count):
            for _ in range(1000):
                if len(seen) >= count:
                    return
                time.sleep(0.01)
        submit = lambda candidate: mirror.submit(
            Exchange(route="GET /x", method="GET"), ok, candidate)
        decisions = [submit(fails)]
        settle(1)
        decisions += [submit(hangs), submit(hangs)]
        settle(3)
        decisions.append(submit(lambda: ok))
        done.wait(10)
        print(json.dumps({"decisions": decisions, "outcomes": seen, "kinds": kinds}))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["decisions"] == ["mirrored", "mirrored", "mirrored", "skipped_overload"]
    assert report["outcomes"] == ["candidate_error", "timeout", "timeout", "skipped_overload"]
    assert report["kinds"] == ["Greenlet"]  # the candidate ran in a greenlet, not an OS thread


def test_a_write_is_never_sent_to_the_control_twice(mirror, recorder, control) -> None:
    rechecked = []
    submit(
        mirror, control, lambda: control, method="POST", writes="dry-run",
        recheck=lambda: rechecked.append(1) or control, calibrate=True,
    )  # fmt: skip
    assert recorder.wait()[0].outcome is Outcome.MATCH
    wait_idle(mirror)
    assert rechecked == []


class Timeout(BaseException):
    """Like gevent.Timeout: a BaseException, raised inside the candidate call."""


def test_a_base_exception_timeout_counts_as_timeout(mirror, recorder, control) -> None:
    def times_out() -> Observation:
        raise Timeout("5 seconds")

    assert submit(mirror, control, times_out) is Submission.MIRRORED
    assert recorder.wait()[0].outcome is Outcome.TIMEOUT
    wait_idle(mirror)
    assert submit(mirror, control, lambda: control) is Submission.MIRRORED  # the pool still works
    assert recorder.wait(2)[1].outcome is Outcome.MATCH


def test_judge_excuses_a_queued_read_only_when_the_data_provably_moved() -> None:
    """A queued read compared late: control A, then the data moved twice (candidate saw B, the
    control asked again C). Excused only when the control's own answer moved and both sides
    asked again agree; a candidate differing on data that did not move is never excused."""
    from shadow.exchange import Exchange
    from shadow.mirror import judge
    from shadow.observation import Observation, Outcome
    from shadow.rules import Rules

    def answer(count: int) -> Observation:
        return Observation(200, [("Content-Type", "application/json")],
                           b'{"favoritesCount":%d}' % count, 0.01)

    exchange = Exchange(route="GET /api/articles/:slug", method="GET")
    a, b, c = answer(1), answer(2), answer(3)

    def run(recheck: Observation, again: Observation | None) -> Outcome:
        return judge(exchange, a, b, Rules(), answered=0.0, recheck=lambda: recheck,
                     again=None if again is None else (lambda: again)).outcome

    assert run(c, c) is Outcome.IGNORED  # moved (A -> C), and both now say C
    assert run(c, None) is Outcome.MISMATCH  # the Mirror's rule alone: C is not B
    assert run(a, a) is Outcome.MISMATCH  # the control did not move: the candidate differs
    assert run(c, b) is Outcome.MISMATCH  # moved, but the candidate still differs
    assert run(b, None) is Outcome.IGNORED  # the recheck as before: the control now says B
