"""The clients of ``make hostile``: a crowd of slow sockets, a probe, clients stuck on a side.

The crowd and the stuck clients run in a child process (``in_child``), so that their work
never slows the probe, which runs alone in the harness' process. Everything is bounded: a
number of sockets, a duration, loopback only.
"""

from __future__ import annotations

import math
import multiprocessing
import selectors
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

import httpx

from tests.support import rawhttp

# What each slow connection sends and then does: nothing at all, half a header block, a head
# and one byte of a promised body, or a header dripped one byte per second.
KINDS = ("idle", "half head", "one body byte", "drip")
_STARTS = {
    "idle": b"",
    "half head": b"GET /api/tags HTTP/1.1\r\nHost: hostile\r\nX-Half",
    "one body byte": b"POST /api/articles HTTP/1.1\r\nHost: hostile\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    "drip": b"G",
}
_DRIP = b"ET /api/tags HTTP/1.1\r\nHost: hostile\r\nX-Drip: " + b"x" * 4000


class InChild:
    """Run ``load(stop, *args) -> dict`` in a child process until the block ends."""

    def __init__(self, load: object, *args: object) -> None:
        context = multiprocessing.get_context("fork")
        self._stop = context.Event()
        self._results = context.Queue()
        self._process = context.Process(target=self._main, args=(load, args), daemon=True)
        self.result: dict[str, object] = {}

    def _main(self, load, args) -> None:
        self._results.put(load(self._stop, *args))

    def __enter__(self) -> InChild:
        self._process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.result = self._results.get(timeout=60)
        self._process.join(timeout=10)


def hold_crowd(stop: threading.Event, port: int, size: int) -> dict[str, object]:
    """In a child: hold a SlowCrowd until ``stop``; return what happened to it."""
    crowd = SlowCrowd(port, size, stop)
    crowd.run()
    return {"opened": crowd.opened, "cut": crowd.closed_by_server, "refused": crowd.refused}


def wait_on(stop: threading.Event, base_url: str, path: str, size: int) -> dict[str, object]:
    """In a child: ``size`` clients loop on ``path`` until ``stop``; return their statuses."""
    waiters = Waiters(base_url, path, size, stop)
    waiters.run()
    return {"statuses": waiters.describe()}


class SlowCrowd:
    """Hold ``size`` slow connections open until ``stop``; reopen any the server closes."""

    def __init__(self, port: int, size: int, stop: threading.Event) -> None:
        self.port = port
        self.size = size
        self.opened = 0
        self.closed_by_server = 0
        self.refused = 0
        self._stop = stop

    def _open(self, selector: selectors.BaseSelector, index: int) -> None:
        kind = KINDS[index % len(KINDS)]
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            sock.sendall(_STARTS[kind])
        except OSError:
            self.refused += 1
            return
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ, [index, kind, 0])
        self.opened += 1

    def run(self) -> None:
        selector = selectors.DefaultSelector()
        for index in range(self.size):
            self._open(selector, index)
        next_drip = time.monotonic() + 1
        while not self._stop.is_set():
            for key, _ in selector.select(timeout=0.2):
                index, _, _ = key.data
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:  # the server gave up on this one: another takes its place
                    selector.unregister(key.fileobj)
                    key.fileobj.close()
                    self.closed_by_server += 1
                    self._open(selector, index)
            while len(selector.get_map()) < self.size and not self._stop.is_set():
                self._open(selector, self.opened)
            if time.monotonic() >= next_drip:
                next_drip += 1
                for key in list(selector.get_map().values()):
                    index, kind, sent = key.data
                    if kind == "drip" and sent < len(_DRIP):
                        try:
                            key.fileobj.send(_DRIP[sent:sent + 1])
                            key.data[2] = sent + 1
                        except OSError:
                            pass
        for key in list(selector.get_map().values()):
            key.fileobj.close()
        selector.close()


@dataclass
class Probe:
    """Ask ``paths`` every ``interval`` on a fresh connection each, as a load balancer does.

    Raw sockets (tests.support.rawhttp): the time measured is the server's, not a client
    library's set-up.
    """

    port: int
    paths: tuple[str, ...]
    interval: float = 0.1
    timeout: float = 5.0
    healthy: tuple[int, ...] = (200,)  # for /health: what counts as an answer
    latencies: dict[str, list[float]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)

    def run(self, seconds: float) -> Probe:
        """Probe for ``seconds`` (in the calling thread)."""
        deadline = time.monotonic() + seconds
        tick = time.monotonic()
        while time.monotonic() < deadline:
            for path in self.paths:
                started = time.perf_counter()
                try:
                    answer = rawhttp.send(self.port, rawhttp.request(
                        "GET", path, {"Connection": "close"}), timeout=self.timeout)
                    status = answer.status if answer is not None else 0
                except OSError:
                    status = 0
                elapsed = (time.perf_counter() - started) * 1000
                self.latencies.setdefault(path, []).append(elapsed)
                expected = self.healthy if path.startswith("/health") else (200,)
                if status not in expected:
                    self.failures[path] = self.failures.get(path, 0) + 1
            tick += self.interval
            time.sleep(max(0.0, tick - time.monotonic()))
        return self

    def summary(self, path: str) -> str:
        """Return ``N probes, F failed, p50/p99/max ms`` for ``path``."""
        values = sorted(self.latencies.get(path, [0.0]))
        return (f"{len(values)} probes, {self.failures.get(path, 0)} failed, p50 "
                f"{percentile(values, 50):.1f} / p99 {percentile(values, 99):.1f} / max "
                f"{values[-1]:.1f} ms")

    def p99(self, path: str) -> float:
        return percentile(sorted(self.latencies.get(path, [0.0])), 99)


def percentile(values: list[float], pct: float) -> float:
    """Return the ``pct`` percentile of sorted ``values`` (nearest rank)."""
    if not values:
        return 0.0
    rank = max(0, min(len(values) - 1, math.ceil(pct / 100 * len(values)) - 1))
    return values[rank]


class Waiters:
    """``size`` clients looping on one path: each waits for its answer (up to 30 s), pauses
    ``pause`` (a client backing off after a 503), and asks again, until ``stop``."""

    def __init__(self, base_url: str, path: str, size: int, stop: threading.Event,
                 pause: float = 0.5) -> None:
        self.base_url = base_url
        self.path = path
        self.pause = pause
        self.statuses: dict[int, int] = {}
        self._stop = stop
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._loop, daemon=True) for _ in range(size)]

    def run(self) -> None:
        for thread in self._threads:
            thread.start()
        self._stop.wait()
        for thread in self._threads:
            thread.join(40)

    def _loop(self) -> None:
        with httpx.Client(base_url=self.base_url, timeout=30) as client:
            while not self._stop.is_set():
                try:
                    status = client.get(self.path).status_code
                except httpx.HTTPError:
                    status = 0
                with self._lock:
                    self.statuses[status] = self.statuses.get(status, 0) + 1
                self._stop.wait(self.pause)

    def describe(self) -> str:
        return ", ".join(f"{count} x {status or 'error'}"
                         for status, count in sorted(self.statuses.items()))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0
