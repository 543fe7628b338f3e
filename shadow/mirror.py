"""The Mirror: run candidate calls off the request path, compare, and publish the verdicts.

The caller (the proxy, holding the control's response) calls ``submit`` and returns at once:
the candidate runs on a small pool of threads (greenlets under gevent monkey-patching).
At most ``max_in_flight`` candidate calls run at a time, counting calls that timed out but
have not returned yet; at the cap the request is not queued but recorded as
``skipped_overload``. A call that does not answer within its timeout is recorded as
``timeout`` and its late answer discarded. ``submit`` never raises and never waits.

With a write registry (``writes``, shadow.concurrency), a mismatch whose window (from the
request's arrival to the candidate's answer) overlapped another write to one of the
exchange's ``resources`` is recorded as ``concurrent_write`` instead: the two sides saw
different data, not different code. Reads and dry-run writes alike; a match stays a match.
A read is asked of the control again first: if the control answers as it did the first time
and still unlike the candidate, the race changed nothing the read shows and the mismatch
stands (the client's own next write often overlaps a read compared after its response).

A dry-run also passes ``effects``: called after the candidate answered (the control has
committed by then), it returns the differences between the two sides' row changes
(shadow.effects) and when the rows were read; any turns the comparison into a mismatch,
judged for races like the rest, in a window that ends when the rows were read.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shadow.background import background_error
from shadow.compare import compare
from shadow.comparison import Comparison, Publisher
from shadow.concurrency import Writes
from shadow.eligibility import SAFE_METHODS, Sampler, Submission, mirrorable
from shadow.exchange import Exchange
from shadow.experiment import Experiment
from shadow.noise import calibrate
from shadow.observation import Difference, Observation, Outcome, Result
from shadow.rules import Rules
from shadow.watchdog import Watchdog

Call = Callable[[], Observation]
# A dry-run's effects check: the differences between the sides' row changes, and when the rows
# were read (the end of the comparison's window for races; None: now).
Effects = Callable[[], tuple[Sequence[Difference], float | None]]


@dataclass(slots=True)
class _Job:
    exchange: Exchange
    control: Observation
    candidate: Call
    rules: Rules
    timeout: float
    recheck: Call | None = None
    calibrate: bool = False
    decided: bool = False
    counted: str | None = None  # the route whose own in-flight cap this job counts against
    effects: Effects | None = None

    @property
    def route(self) -> str:
        return self.exchange.route

    @property
    def method(self) -> str:
        return self.exchange.method.upper()

    def decide(self, lock: threading.Lock) -> bool:
        """Claim the right to publish this job's verdict; False if already published."""
        with lock:
            if self.decided:
                return False
            self.decided = True
            return True


class Mirror:
    """Mirror requests to the candidate on a bounded pool and publish each comparison."""

    def __init__(
        self,
        publishers: Sequence[Publisher] = (),
        *,
        max_in_flight: int = 8,
        timeout: float = 5.0,
        sampler: Sampler | None = None,
        writes: Writes | None = None,
    ) -> None:
        self.publishers = list(publishers)
        self.writes = writes
        self.max_in_flight = max_in_flight
        self.timeout = timeout
        self.sampler = sampler or Sampler()
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._in_flight = 0
        self._route_in_flight: dict[str, int] = {}

    @property
    def in_flight(self) -> int:
        """Return how many candidate calls are running now."""
        return self._in_flight

    def submit(
        self,
        exchange: Exchange,
        control: Observation,
        candidate: Call,
        experiment: Experiment | None = None,
        *,
        recheck: Call | None = None,
        calibrate: bool = False,
        sampled: bool = False,
        effects: Effects | None = None,
    ) -> Submission:
        """Mirror one request whose control answer is ``control``; return without waiting.

        ``candidate`` produces the candidate's Observation; ``experiment`` holds the route's
        settings (rules, sample, timeout, in-flight cap, writes); ``writes="dry-run"`` lets
        unsafe methods through to the candidate (which must roll the write back).
        ``recheck`` (optional, safe methods only) asks the control again: after a mismatch,
        if the control now answers as the candidate did, the data changed between the two
        calls (a write landed in between) and the comparison is recorded as ``ignored``;
        with ``calibrate`` it is also asked after each comparison, for noise calibration.
        ``sampled`` says the caller already applied the experiment's sample fraction.
        ``effects`` (dry-runs) compares the row changes of both sides once the candidate has
        answered.
        """
        try:
            settings = experiment or Experiment()
            if exchange.method.upper() not in SAFE_METHODS:
                recheck = None  # never send a write to the control twice
            job = _Job(exchange, control, candidate, settings.rules,
                       settings.timeout or self.timeout, recheck, calibrate, effects=effects)
            if not sampled and not self.sampler.sampled(settings.sample):
                return Submission.UNSAMPLED
            if not mirrorable(exchange.method, settings.writes):
                self._publish(job, Result(Outcome.SKIPPED_UNSAFE))
                return Submission.SKIPPED_UNSAFE
            self._start()
            if not self._claim(exchange.route, settings.max_in_flight):
                self._publish(job, Result(Outcome.SKIPPED_OVERLOAD))
                return Submission.SKIPPED_OVERLOAD
            job.counted = exchange.route
            self._jobs.put(job)
            return Submission.MIRRORED
        except Exception:
            background_error("mirror", "could not mirror a request",
                             method=getattr(exchange, "method", None),
                             route=getattr(exchange, "route", None))
            return Submission.FAILED

    def call(
        self, side: Call, *, route: str, timeout: float | None = None, route_cap: int | None = None
    ) -> Observation | None:
        """Run ``side`` on the pool now and wait for it at most ``timeout``.

        For candidates that must run before the control (dry-run writes): the caller waits,
        but never longer than the timeout; a call still running then counts as in flight
        until it returns. Return None at the in-flight cap (nothing was run), an Observation
        of a TimeoutError when the wait ran out, else the side's Observation.
        """
        self._start()
        if not self._claim(route, route_cap):
            return None
        limit = timeout or self.timeout
        answered = threading.Event()
        box: list[Observation] = []

        def task() -> None:
            box.append(_call(side))
            answered.set()

        self._jobs.put(_Task(task, route))
        if not answered.wait(limit):
            return Observation.failed(TimeoutError(f"no answer within {limit}s"), limit)
        return box[0]

    def skip(self, exchange: Exchange, control: Observation, outcome: Outcome,
             reason: str) -> None:
        """Record that this request was not compared (e.g. a body over the tee's cap)."""
        try:
            self._publish(_Job(exchange, control, _never, Rules(), 0.0),
                          Result(outcome, reason=reason))
        except Exception:
            background_error("mirror", "could not record a skipped request",
                             method=exchange.method, route=exchange.route)

    def close(self, timeout: float = 1.0) -> None:
        """Stop the workers after the calls already running (waiting at most ``timeout``)."""
        if self._pid != os.getpid():
            return
        for _ in self._workers:
            self._jobs.put(None)
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        self._watchdog.close()
        self._pid = None

    def _start(self) -> None:
        """Start the threads on first use in this process (gunicorn workers fork first)."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._in_flight = 0
            self._route_in_flight = {}
            self._jobs: queue.Queue[_Job | _Task | None] = queue.Queue()
            self._watchdog = Watchdog()
            self._workers = [
                threading.Thread(target=self._work, name=f"shadow-mirror-{n}", daemon=True)
                for n in range(self.max_in_flight)
            ]
            for worker in self._workers:
                worker.start()
            self._pid = os.getpid()

    def _claim(self, route: str, route_cap: int | None) -> bool:
        """Count one more call in flight, unless the Mirror or the route is at its cap."""
        with self._lock:
            mine = self._route_in_flight.get(route, 0)
            if self._in_flight >= self.max_in_flight or (route_cap is not None
                                                         and mine >= route_cap):
                return False
            self._in_flight += 1
            self._route_in_flight[route] = mine + 1
            return True

    def _release(self, route: str | None) -> None:
        with self._lock:
            self._in_flight -= 1
            if route is not None:
                self._route_in_flight[route] -= 1

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                if isinstance(job, _Task):
                    job.run()
                else:
                    self._run(job)
            except Exception:
                background_error("mirror", "mirroring failed", route=job.route)
            finally:
                self._release(job.counted)

    def _run(self, job: _Job) -> None:
        started = time.monotonic()
        self._watchdog.watch(started + job.timeout, lambda: self._expire(job))
        observation = _call(job.candidate)
        elapsed = time.monotonic() - started
        answered = time.time()
        if not job.decide(self._lock):
            return  # the watchdog already recorded a timeout
        result = judge(job.exchange, job.control, observation, job.rules, answered=answered,
                       writes=self.writes, recheck=job.recheck, effects=job.effects)
        seconds = elapsed if observation.duration is None else observation.duration
        self._publish(job, result, observation, seconds)
        if job.calibrate:
            paths = noise_of(job.control, result, job.recheck, job.rules)
            if paths:
                for publisher in self.publishers:
                    _notify(publisher.noise, job.route, paths)

    def _expire(self, job: _Job) -> None:
        if job.decide(self._lock):
            reason = f"no answer within {job.timeout}s"
            self._publish(job, Result(Outcome.TIMEOUT, reason=reason), None, job.timeout)

    def _publish(
        self,
        job: _Job,
        result: Result,
        candidate: Observation | None = None,
        seconds: float | None = None,
    ) -> None:
        exchange = job.exchange
        comparison = Comparison.of(
            job.route, job.method, exchange.control_side, job.control, result,
            candidate=candidate, candidate_seconds=seconds, request_id=exchange.request_id,
        )  # fmt: skip
        for publisher in self.publishers:
            _notify(publisher.comparison, comparison)


@dataclass(slots=True)
class _Task:
    """A call run on the pool for a waiting caller (``Mirror.call``)."""

    run: Callable[[], None]
    counted: str

    @property
    def route(self) -> str:
        return self.counted


def judge(exchange: Exchange, control: Observation, candidate: Observation, rules: Rules, *,
          answered: float, writes: Writes | None = None, recheck: Call | None = None,
          again: Call | None = None, effects: Effects | None = None) -> Result:
    """Compare one exchange's two answers: the step the in-process Mirror and the queue's
    shadow workers share (``proxy.shadow_worker``).

    ``effects`` (dry-runs) adds the differences between the sides' row changes; the time its
    rows were read ends the comparison's window. A mismatch becomes ``concurrent_write`` when
    the write registry saw another write to the exchange's resources between its arrival and
    ``answered`` (the candidate's answer, epoch seconds) unless the control, asked again,
    shows the data held still; else ``ignored`` when the control, asked again (``recheck``,
    safe methods only), now answers as the candidate did. With ``again`` (the candidate asked
    again: a queued read, compared long after the control answered) it is also ``ignored``
    when the data provably moved: the control's second answer differs from its first, and
    both sides asked again agree. A candidate that differs on data that did not move is never
    excused. Never raises: a comparison that fails is the candidate's ``candidate_error``.
    """
    try:
        result = compare(control, candidate, rules)
        if effects is not None and result.outcome in (Outcome.MATCH, Outcome.MISMATCH):
            found, read_at = effects()
            result = _with_effects(result, found)
            answered = read_at or time.time()  # the rows' view ends the window
        control_again = None
        if result.outcome is Outcome.MISMATCH and recheck is not None:
            control_again = _call(recheck)
        if result.outcome is Outcome.MISMATCH and writes is not None:
            raced = _raced(writes, exchange, answered, result)
            if not _stable(control, control_again, candidate, rules):
                result = raced
        if result.outcome is Outcome.MISMATCH and control_again is not None:
            result = _rechecked(control_again, control, candidate, result, rules, again)
    except Exception as error:
        result = Result(Outcome.CANDIDATE_ERROR, reason=f"could not compare: {error!r}"[:300])
    return result


def noise_of(control: Observation, result: Result, recheck: Call | None,
             rules: Rules) -> list[str]:
    """Noise calibration: the paths that differ between the control and the control asked
    again (compared requests only; nothing without ``recheck``)."""
    if recheck is None or result.outcome not in (Outcome.MATCH, Outcome.MISMATCH):
        return []
    return calibrate(control, _call(recheck), rules)


def _rechecked(again: Observation, control: Observation, candidate: Observation,
               result: Result, rules: Rules, candidate_again: Call | None = None) -> Result:
    """Keep a mismatch only if the control, asked again (``again``), still disagrees with the
    candidate (and, with ``candidate_again``, unless the data moved and both sides now agree)."""
    if again.exception is not None:
        return result
    if compare(again, candidate, rules).outcome is Outcome.MATCH:
        return Result(Outcome.IGNORED, reason="the data changed between the control's and the"
                      " candidate's calls (the control now answers as the candidate did)")
    if candidate_again is None or compare(control, again, rules).outcome is Outcome.MATCH:
        return result  # the control's data did not move: the difference is the candidate's
    second = _call(candidate_again)
    if second.exception is None and compare(again, second, rules).outcome is Outcome.MATCH:
        return Result(Outcome.IGNORED, reason="the data changed since the request (the control"
                      " answers differently now, and both sides asked again agree)")
    return result


def _stable(control: Observation, again: Observation | None, candidate: Observation,
            rules: Rules) -> bool:
    """Tell whether a read's data held still through a write that overlapped it: the control,
    asked again, answers as it did the first time and still unlike the candidate. Then the
    race changed nothing this read shows, and the mismatch is the candidate's."""
    if again is None or again.exception is not None:
        return False
    return (compare(control, again, rules).outcome is Outcome.MATCH
            and compare(again, candidate, rules).outcome is Outcome.MISMATCH)


def _with_effects(result: Result, found: Sequence[Difference]) -> Result:
    """Add the differences between the sides' row changes to a comparison's result."""
    if not found:
        return result
    return Result(Outcome.MISMATCH, result.differences + tuple(found), result.truncated,
                  result.reason, result.control_doc, result.candidate_doc, result.coverage)


def _raced(writes: Writes, exchange: Exchange, answered: float, result: Result) -> Result:
    """Turn a mismatch into ``concurrent_write`` if another write to the exchange's resources
    overlapped its window (the request's arrival to the candidate's answer)."""
    raced = writes.overlapping(exchange.resources, exchange.started, answered,
                               own=exchange.write)
    if not raced:
        return result
    return Result(Outcome.CONCURRENT_WRITE, result.differences, result.truncated,
                  reason=f"another write to {', '.join(raced)} overlapped the comparison"[:300])


def _never() -> Observation:
    raise RuntimeError("a skipped request has no candidate")


def call_side(side: Call) -> Observation:
    """Run one side, turning an exception or a non-Observation answer into a failure."""
    return _call(side)


def _call(side: Call) -> Observation:
    """Run one side, turning an exception or a non-Observation answer into a failure."""
    started = time.monotonic()
    try:
        observation = side()
    except Exception as error:
        return Observation.failed(error, time.monotonic() - started)
    except BaseException as error:  # gevent.Timeout is a BaseException; exits still propagate
        if "Timeout" not in type(error).__name__:
            raise
        return Observation.failed(error, time.monotonic() - started)
    if not isinstance(observation, Observation):
        kind = type(observation).__name__
        return Observation.failed(TypeError(f"candidate returned {kind}, not an Observation"))
    return observation


def _notify(hook: Callable[..., None], *args: object) -> None:
    try:
        hook(*args)
    except Exception:
        background_error("publisher", "publisher failed", publisher=repr(hook))
