"""Shadow mode in the request path: plan each shadowed request, tee its bodies, mirror it.

For a route whose entry says ``shadow``, the side that serves is the control and the other
side the candidate. The client gets the control's response streamed as usual; the proxy
keeps a copy of the request and response bodies up to ``SHADOW_MAX_BODY_BYTES`` (1 MiB) and,
when the response has been sent, hands the control's Observation and a candidate call to the
worker's Mirror (shadow/), which runs it off the request path. Bodies over the cap are not
compared (recorded as ``ignored``). Writes are mirrored only with ``writes: dry-run`` and a
Flask candidate: it runs first, under a signed dry-run marker, waited for at most the
candidate timeout (proxy.mirror_sides).
"""

from __future__ import annotations

import atexit
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from proxy.body import BodyTooLarge
from proxy.dryrun import dry_run_marker
from proxy.mirror_sides import Sides
from proxy.schema import RouteEntry, ShadowDefaults
from proxy.table import Decision
from shadow import Metrics, Mirror, Observation, Outcome, ParityStore, ParityWriter
from shadow.eligibility import DRY_RUN, SAFE_METHODS

log = logging.getLogger(__name__)
Finish = Callable[[BaseException | None], None]


class Tee:
    """Keep a copy of a body up to ``cap`` bytes; past the cap keep nothing, remember why."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[bytes] = []
        self.size = 0
        self.overflow = False

    def add(self, chunk: bytes) -> None:
        if self.overflow:
            return
        self.size += len(chunk)
        if self.size > self.cap:
            self.overflow, self.parts = True, []
        else:
            self.parts.append(chunk)

    def wrap(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.add(chunk)
            yield chunk

    @property
    def body(self) -> bytes:
        return b"".join(self.parts)


class Shadowing:
    """One worker's shadow machinery: Mirror and ParityWriter, built on first use (after fork)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.database_url: str = config["SQLALCHEMY_DATABASE_URI"]
        self.cap = int(config["SHADOW_MAX_BODY_BYTES"])  # read once by create_app
        self._mirror: Mirror | None = None
        self._lock = threading.Lock()
        self.writer: ParityWriter | None = None

    def mirror(self, defaults: ShadowDefaults) -> Mirror:
        """Return the worker's Mirror (its size is the global ``shadow.max_in_flight``)."""
        if self._mirror is not None:
            return self._mirror
        with self._lock:
            if self._mirror is not None:
                return self._mirror
            from shadow import engine_from_url

            self.writer = ParityWriter(ParityStore(engine_from_url(self.database_url)))
            self._mirror = Mirror([self.writer, Metrics()], max_in_flight=defaults.max_in_flight,
                                  timeout=defaults.timeout)
            atexit.register(self.close)  # a worker that exits writes what it has queued
        return self._mirror

    def status(self) -> dict[str, object]:
        """Return what /health shows: candidate calls in flight, store writes dropped/failed.

        Not ok while the parity store's last write failed: comparisons are being lost.
        """
        writer = self.writer
        return {
            "ok": writer is None or not writer.failing,
            "in_flight": self._mirror.in_flight if self._mirror else 0,
            "store_dropped": writer.dropped if writer else 0,
            "store_failed": writer.failed if writer else 0,
        }

    def close(self) -> None:
        if self._mirror is not None:
            self._mirror.close()
        if self.writer is not None:
            self.writer.close()

    def plan(self, environ: dict[str, Any], rid: str, decision: Decision, target: str,
             sides: Sides) -> Shadow | None:
        """Return the shadow plan of a request, or None (not shadowed, or not sampled)."""
        route = decision.route
        if route is None or route.entry.shadow_side is None:
            return None
        defaults = sides.table.config.shadow
        mirror = self.mirror(defaults)
        entry = route.entry
        sample = defaults.sample if entry.sample is None else entry.sample
        if not mirror.sampler.sampled(sample):
            return None
        return Shadow(self, mirror, dict(environ), rid, decision, target, sides, defaults, entry)


class Shadow:
    """The shadow side of one request: what to tee, what to call, what to submit."""

    def __init__(self, shadowing: Shadowing, mirror: Mirror, environ: dict[str, Any], rid: str,
                 decision: Decision, target: str, sides: Sides, defaults: ShadowDefaults,
                 entry: RouteEntry) -> None:
        self.mirror = mirror
        self.cap = shadowing.cap
        self.environ = environ
        self.rid = rid
        self.decision = decision
        self.route = decision.template
        self.target = target
        self.sides = sides
        self.control_side = decision.side
        self.candidate_side = "legacy" if decision.side == "flask" else "flask"
        self.method = environ["REQUEST_METHOD"].upper()
        self.timeout = defaults.timeout if entry.timeout is None else entry.timeout
        self.route_cap = entry.max_in_flight
        calibrate = defaults.calibrate if entry.calibrate is None else entry.calibrate
        self.calibrate = calibrate > 0 and mirror.sampler.sampled(calibrate)
        self.rules = sides.table.rules[self.route]
        # Legacy as candidate never receives writes, whatever the route says.
        self.writes = entry.writes if self.candidate_side == "flask" else None
        self.safe = self.method in SAFE_METHODS
        self.mirrored = self.safe or self.writes == DRY_RUN
        self.request = Tee(self.cap)
        self.has_body = False
        self.first: Observation | None = None

    def request_body(self, body: Iterator[bytes] | None) -> Iterator[bytes] | None:
        """Tee the request body (dry-run: read it now, up to the cap, for the candidate)."""
        if body is None or not self.mirrored:
            return body
        self.has_body = True
        if self.safe:
            return self.request.wrap(body)
        read: list[bytes] = []
        try:
            for chunk in body:
                read.append(chunk)
                self.request.add(chunk)
                if self.request.overflow:
                    break
        except BodyTooLarge as error:
            self.request.overflow = True
            return itertools.chain(read, _raising(error))
        return itertools.chain(read, body)

    def before_control(self) -> None:
        """Dry-run writes: run the candidate now, on the pool, waiting at most its timeout."""
        if self.safe or not self.mirrored or self.request.overflow:
            return
        marker = dry_run_marker(self.sides.runtime.backend_app.config)
        body = self.request.body if self.has_body else None
        self.first = self.mirror.call(
            lambda: self.sides.call("flask", self.environ, self.rid, self.decision.path,
                                    self.target, body, timeout=self.timeout, cap=self.cap,
                                    marker=marker),
            route=self.route, timeout=self.timeout, route_cap=self.route_cap,
        )

    def observe(self, status: int, headers: list[tuple[str, str]], chunks: Iterable[bytes],
                finish: Finish, started: float) -> tuple[Iterable[bytes], Finish]:
        """Tee the control's response; submit the comparison once it has been sent."""
        response = Tee(self.cap)

        def finished(error: BaseException | None) -> None:
            try:
                finish(error)
            finally:
                if error is None:
                    duration = time.perf_counter() - started
                    self._submit(Observation(status, headers, response.body, duration),
                                 response.overflow)

        return (response.wrap(chunks) if self.mirrored else chunks), finished

    def _submit(self, control: Observation, overflow: bool) -> None:
        try:
            common: dict[str, Any] = dict(route=self.route, method=self.method, control=control,
                                          control_side=self.control_side, request_id=self.rid)
            if self.mirrored and (overflow or self.request.overflow):
                self.mirror.skip(**common, outcome=Outcome.IGNORED,
                                 reason=f"body over {self.cap} bytes: not compared")
                return
            if not self.safe and self.mirrored and self.first is None:
                self.mirror.skip(**common, outcome=Outcome.SKIPPED_OVERLOAD,
                                 reason="in-flight cap reached before the dry-run")
                return
            self.mirror.submit(**common, candidate=self._candidate(), rules=self.rules,
                               sample=1.0, writes=self.writes, timeout=self.timeout,
                               recheck=self._recheck() if self.calibrate else None,
                               route_cap=self.route_cap,
                               confirm=self._recheck() if self.safe else None)
        except Exception:
            log.exception("shadow: could not submit %s", self.route)

    def _candidate(self) -> Callable[[], Observation]:
        if self.first is not None:
            first = self.first
            return lambda: first
        return self._caller(self.candidate_side)

    def _recheck(self) -> Callable[[], Observation]:
        return self._caller(self.control_side)

    def _caller(self, side: str) -> Callable[[], Observation]:
        body = self.request.body if self.has_body else None
        return lambda: self.sides.call(side, self.environ, self.rid, self.decision.path,
                                       self.target, body, timeout=self.timeout, cap=self.cap)


def _raising(error: BaseException) -> Iterator[bytes]:
    raise error
    yield b""  # a generator: the error surfaces when the control reads this far
