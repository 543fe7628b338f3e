"""The Mirror: run candidate calls off the request path, compare, and publish the verdicts.

The caller (the proxy, holding the control's response) calls ``submit`` and returns at once:
the candidate runs on a small pool of threads (greenlets under gevent monkey-patching).
At most ``max_in_flight`` candidate calls run at a time, counting calls that timed out but
have not returned yet; at the cap the request is not queued but recorded as
``skipped_overload``. A call that does not answer within its timeout is recorded as
``timeout`` and its late answer discarded. ``submit`` never raises and never waits.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from shadow.compare import compare
from shadow.comparison import Comparison, Publisher
from shadow.eligibility import SAFE_METHODS, Decision, Sampler, mirrorable
from shadow.noise import calibrate
from shadow.observation import Observation, Outcome, Result
from shadow.rules import Rules
from shadow.watchdog import Watchdog

log = logging.getLogger(__name__)
Call = Callable[[], Observation]


@dataclass(slots=True)
class _Job:
    route: str
    method: str
    control_side: str
    control: Observation
    candidate: Call
    rules: Rules
    timeout: float
    request_id: str | None
    recheck: Call | None
    decided: bool = False

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
    ) -> None:
        self.publishers = list(publishers)
        self.max_in_flight = max_in_flight
        self.timeout = timeout
        self.sampler = sampler or Sampler()
        self._pid: int | None = None
        self._lock = threading.Lock()
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """Return how many candidate calls are running now."""
        return self._in_flight

    def submit(
        self,
        *,
        route: str,
        method: str,
        control: Observation,
        candidate: Call,
        rules: Rules | None = None,
        control_side: str = "legacy",
        request_id: str | None = None,
        sample: float = 1.0,
        writes: str | None = None,
        timeout: float | None = None,
        recheck: Call | None = None,
    ) -> Decision:
        """Mirror one request whose control answer is ``control``; return without waiting.

        ``candidate`` produces the candidate's Observation; ``recheck`` (optional) asks the
        control again for noise calibration, for safe methods only. ``writes="dry-run"`` lets
        unsafe methods through to the candidate (which must roll the write back).
        """
        try:
            if method.upper() not in SAFE_METHODS:
                recheck = None  # never send a write to the control twice
            job = _Job(
                route, method.upper(), control_side, control, candidate,
                rules or Rules(), timeout or self.timeout, request_id, recheck,
            )  # fmt: skip
            if not self.sampler.sampled(sample):
                return Decision.UNSAMPLED
            if not mirrorable(method, writes):
                self._publish(job, Result(Outcome.SKIPPED_UNSAFE))
                return Decision.SKIPPED_UNSAFE
            self._start()
            with self._lock:
                overloaded = self._in_flight >= self.max_in_flight
                if not overloaded:
                    self._in_flight += 1
            if overloaded:
                self._publish(job, Result(Outcome.SKIPPED_OVERLOAD))
                return Decision.SKIPPED_OVERLOAD
            self._jobs.put(job)
            return Decision.MIRRORED
        except Exception:
            log.exception("shadow: could not mirror %s %s", method, route)
            return Decision.FAILED

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
            self._jobs: queue.Queue[_Job | None] = queue.Queue()
            self._watchdog = Watchdog()
            self._workers = [
                threading.Thread(target=self._work, name=f"shadow-mirror-{n}", daemon=True)
                for n in range(self.max_in_flight)
            ]
            for worker in self._workers:
                worker.start()
            self._pid = os.getpid()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                self._run(job)
            except Exception:
                log.exception("shadow: mirroring %s %s failed", job.method, job.route)
            finally:
                with self._lock:
                    self._in_flight -= 1

    def _run(self, job: _Job) -> None:
        started = time.monotonic()
        self._watchdog.watch(started + job.timeout, lambda: self._expire(job))
        observation = _call(job.candidate)
        elapsed = time.monotonic() - started
        if not job.decide(self._lock):
            return  # the watchdog already recorded a timeout
        try:
            result = compare(job.control, observation, job.rules)
        except Exception as error:
            result = Result(Outcome.CANDIDATE_ERROR, reason=f"could not compare: {error!r}"[:300])
        seconds = elapsed if observation.duration is None else observation.duration
        self._publish(job, result, observation, seconds)
        if job.recheck is not None and result.outcome in (Outcome.MATCH, Outcome.MISMATCH):
            paths = calibrate(job.control, _call(job.recheck), job.rules)
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
        comparison = Comparison.of(
            job.route, job.method, job.control_side, job.control, result,
            candidate=candidate, candidate_seconds=seconds, request_id=job.request_id,
        )  # fmt: skip
        for publisher in self.publishers:
            _notify(publisher.comparison, comparison)


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
        log.exception("shadow: publisher %r failed", hook)
