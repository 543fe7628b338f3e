"""A shadow worker: compare the exchanges the proxies put on the shadow stream (issue 13).

``strangler shadow work [--concurrency N]`` (or ``python -m proxy.shadow_worker --app
module:attr``, which tests use to run a seeded backend). Each of N threads reads a batch from
the consumer group (``shadow.queue.StreamReader``: pending entries of a dead worker first, by
XAUTOCLAIM, then new ones by XREADGROUP), and for each exchange calls the candidate (the Flask
backend in-process, read-only marked, or legacy over HTTP: the proxy's own ``Sides``), asks the
control again on a mismatch (the recheck) and, for the route's ``calibrate`` share, for noise,
and compares with ``shadow.mirror.judge``, the step the in-process Mirror uses. The batch's
comparisons are stored, then acknowledged: a worker killed in between leaves its entries
pending for another to claim, and the store's unique exchange key keeps the second
comparison out. A forged or tampered entry is refused (counted) and acknowledged.

Why here, in ``proxy``: the candidate call is the proxy's (the backend app in-process, the
legacy client pool, the markers), and the route table (rules, timeouts) is the proxy's; shadow
stays free of both. The worker builds the same ``ProxyRuntime`` a proxy process does.

The worker serves ``/metrics`` (Prometheus) and ``/health`` (JSON; 503 when Redis or the
parity store is failing) on ``--port``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import signal
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import redis
from flask import Flask
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

from proxy.dryrun import read_only_marker
from proxy.mirror_sides import Sides
from proxy.runtime import ProxyRuntime
from proxy.table import UNMATCHED_ROUTE, RouteTable
from shadow import Comparison, Experiment, Metrics, Observation, Outcome, ParityStore, Result
from shadow.background import background_error
from shadow.eligibility import SAFE_METHODS, Sampler
from shadow.mirror import call_side, judge, noise_of
from shadow.queue import Entry, QueueSettings, StreamReader, control_of
from shadow.record import Record
from shadow.store import engine_from_url

LAG = Histogram("shadow_worker_lag_seconds",
                "From the request's arrival at the proxy to its stored comparison.",
                buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0))
COMPARED = Counter("shadow_worker_comparisons", "Comparisons stored by this worker.")
DUPLICATES = Counter("shadow_worker_duplicates",
                     "Exchanges compared again after a claim but already stored (not counted).")
REFUSED = Counter("shadow_worker_refused",
                  "Stream entries refused: forged, tampered or unreadable.")
FAILURES = Counter("shadow_worker_failures",
                   "Batches not acknowledged (left pending for a retry), by stage.", ["stage"])
BACKLOG = Gauge("shadow_worker_backlog", "Stream entries not yet delivered to any worker.")
BACKLOG_AGE = Gauge("shadow_worker_backlog_age_seconds",
                    "Age of the oldest entry not yet delivered to any worker.")
PENDING = Gauge("shadow_worker_pending", "Entries delivered to workers and not acknowledged.")


class ShadowWorker:
    """N threads reading the stream, comparing, storing, acknowledging."""

    def __init__(self, app: Flask, queue: QueueSettings, *, concurrency: int = 2,
                 batch: int = 10, claim_idle: float = 30.0, consumer: str | None = None) -> None:
        self.app = app
        self.runtime: ProxyRuntime = app.extensions["strangler"]
        self.concurrency = concurrency
        self.batch = batch
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}"
        self.reader = StreamReader(queue, self.consumer, claim_idle=claim_idle)
        self.store = ParityStore(engine_from_url(app.config["SQLALCHEMY_DATABASE_URI"]))
        self.metrics = Metrics()
        self.sampler = Sampler()
        self.stopping = threading.Event()
        self.calls = ThreadPoolExecutor(concurrency * 4, thread_name_prefix="shadow-candidate")
        self.compared = 0
        self.refused = 0
        self.failures: dict[str, int] = {}
        self.redis_error: str | None = None
        self.store_failing = False
        self._recent: deque[float] = deque(maxlen=10_000)  # when each comparison was stored
        self._lags: deque[float] = deque(maxlen=10_000)
        self._lock = threading.Lock()

    # -- the loop ---------------------------------------------------------------------------
    def run(self) -> None:
        self.runtime.ensure_started()
        threads = [threading.Thread(target=self._loop, name=f"shadow-worker-{n}", daemon=True)
                   for n in range(self.concurrency)]
        threads.append(threading.Thread(target=self._watch, name="shadow-backlog", daemon=True))
        for thread in threads:
            thread.start()
        self.stopping.wait()
        deadline = time.monotonic() + 5.0  # a candidate call in hand may take its timeout
        for thread in threads[:-1]:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.calls.shutdown(wait=False, cancel_futures=True)

    def stop(self) -> None:
        self.stopping.set()

    def _loop(self) -> None:
        grouped = False
        while not self.stopping.is_set():
            try:
                if not grouped:
                    self.reader.ensure_group()
                    grouped = True
                entries = self.reader.read(self.batch)
                self.redis_error = None
            except redis.RedisError as error:
                grouped = False
                self.redis_error = f"{type(error).__name__}: {error}"[:200]
                self._failed("read")
                self.stopping.wait(0.5)
                continue
            if entries:
                self.handle(entries)

    def handle(self, entries: list[Entry]) -> None:
        """Compare, store and acknowledge one batch (nothing acknowledged if the store fails)."""
        comparisons: list[Comparison] = []
        noise: list[tuple[str, list[str]]] = []
        done: list[str] = []
        for entry in entries:
            if self.stopping.is_set():
                break  # stopping: the rest stay pending, for another worker to claim
            done.append(entry.id)
            if entry.record is None:
                with self._lock:
                    self.refused += 1
                REFUSED.inc()
                background_error("shadow_worker", "refused a stream entry", entry=entry.id,
                                 reason=entry.refused)
                continue
            try:
                comparison, paths = self.compare(entry.id, entry.record)
            except Exception:
                background_error("shadow_worker", "could not compare", entry=entry.id)
                self._failed("compare")
                return  # left pending: retried after claim_idle
            comparisons.append(comparison)
            if paths:
                noise.append((comparison.route, paths))
        try:
            stored = self.store.record(comparisons)
            for route, paths in noise:
                self.store.record_noise(route, paths)
            self.store_failing = False
        except Exception:
            self.store_failing = True
            background_error("shadow_worker", "could not store comparisons",
                             count=len(comparisons))
            self._failed("store")
            return
        if stored < len(comparisons):
            DUPLICATES.inc(len(comparisons) - stored)
        try:
            self.reader.ack(done)
        except redis.RedisError:
            self._failed("ack")  # stored: a redelivery is kept out by its key
        now = time.time()
        for comparison in comparisons:
            self.metrics.comparison(comparison)
            LAG.observe(comparison.lag or 0.0)
        COMPARED.inc(len(comparisons))
        with self._lock:
            self.compared += len(comparisons)
            self._recent.extend([now] * len(comparisons))
            self._lags.extend(c.lag or 0.0 for c in comparisons)

    def compare(self, key: str, record: Record) -> tuple[Comparison, list[str]]:
        """Compare one exchange as the Mirror would; return its Comparison and noise paths."""
        exchange, control = record.exchange, control_of(record)
        table = self.runtime.source.table
        experiment = _experiment(table, exchange.route)
        rules = experiment.rules
        timeout = experiment.timeout or table.config.shadow.timeout
        cap = int(self.app.config["SHADOW_MAX_BODY_BYTES"])
        sides = Sides(lambda: self.runtime.backend_app, self.runtime.client,
                      self.runtime.legacy_url(table), table.config.legacy.timeouts)
        safe = exchange.method.upper() in SAFE_METHODS

        def caller(side: str, read_only: bool) -> Callable[[], Observation]:
            def call() -> Observation:
                marker = read_only_marker(self.runtime.backend_app.config) if read_only else None
                return sides.call(side, exchange, timeout=timeout, cap=cap, marker=marker)
            return call

        candidate = caller(exchange.candidate_side, exchange.candidate_side == "flask" and safe)
        recheck = caller(exchange.control_side, False) if safe else None
        started = time.monotonic()
        future = self.calls.submit(call_side, candidate)
        try:
            observation: Observation | None = future.result(timeout)
        except FutureTimeout:
            observation = None
        seconds = time.monotonic() - started
        if observation is None:
            result = Result(Outcome.TIMEOUT, reason=f"no answer within {timeout}s")
            seconds = timeout
        else:
            result = judge(exchange, control, observation, rules, answered=time.time(),
                           recheck=recheck, again=candidate if safe else None)
            if observation.duration is not None:
                seconds = observation.duration
        paths: list[str] = []
        if experiment.calibrate > 0 and self.sampler.sampled(experiment.calibrate):
            paths = noise_of(control, result, recheck, rules)
        comparison = Comparison.of(
            exchange.route, exchange.method, exchange.control_side, control, result,
            candidate=observation, candidate_seconds=seconds, request_id=exchange.request_id,
            key=key, lag=max(0.0, time.time() - exchange.started) if exchange.started else None,
        )  # fmt: skip
        return comparison, paths

    def _failed(self, stage: str) -> None:
        FAILURES.labels(stage).inc()
        with self._lock:
            self.failures[stage] = self.failures.get(stage, 0) + 1

    def _watch(self) -> None:
        while not self.stopping.wait(1.0):
            try:
                found = self.reader.backlog()
                BACKLOG.set(found.entries)
                BACKLOG_AGE.set(found.age)
                PENDING.set(self.reader.pending())
            except redis.RedisError as error:
                self.redis_error = f"{type(error).__name__}: {error}"[:200]

    # -- what /health shows -----------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        with self._lock:
            now = time.time()
            last_minute = sum(1 for t in self._recent if t > now - 60)
            lags = sorted(self._lags)
        return {
            "ok": self.redis_error is None and not self.store_failing,
            "consumer": self.consumer,
            "concurrency": self.concurrency,
            "compared": self.compared,
            "comparisons_per_second": round(last_minute / 60.0, 3),
            "lag_p50_ms": _percentile(lags, 0.5),
            "lag_p99_ms": _percentile(lags, 0.99),
            "backlog": BACKLOG._value.get(),  # noqa: SLF001 (the gauge is the one source)
            "backlog_age_seconds": BACKLOG_AGE._value.get(),  # noqa: SLF001
            "pending": PENDING._value.get(),  # noqa: SLF001
            "refused": self.refused,
            "failures": dict(self.failures),
            "redis_error": self.redis_error,
            "store_failing": self.store_failing,
        }


def _experiment(table: RouteTable, route: str) -> Experiment:
    """The route's comparison settings in the table now in force (the global ones when the
    route is no longer shadowed: the exchange was sampled under an older table)."""
    if route == UNMATCHED_ROUTE and table.unmatched_experiment is not None:
        return table.unmatched_experiment
    return table.experiments.get(route) or Experiment.from_settings(table.config.shadow, None)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    index = min(len(values) - 1, max(0, int(round(q * len(values) + 0.5)) - 1))
    return round(values[index] * 1000.0, 1)


def serve(worker: ShadowWorker, host: str, port: int) -> ThreadingHTTPServer:
    """Serve /metrics and /health for ``worker`` on a daemon thread; return the server."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            if self.path == "/metrics":
                body, kind, code = generate_latest(), CONTENT_TYPE_LATEST, 200
            elif self.path in ("/health", "/health/live", "/health/ready"):
                status = worker.status()
                body = json.dumps(status).encode()
                kind, code = "application/json", 200 if status["ok"] else 503
            else:
                body, kind, code = b'{"errors": {"path": ["not found"]}}', "application/json", 404
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="shadow-worker-http", daemon=True).start()
    return server


def work(app: Flask, *, concurrency: int, host: str, port: int, claim_idle: float,
         batch: int = 10) -> None:
    """Run a worker for ``app`` until SIGTERM or SIGINT (the batch in hand is finished)."""
    queue = QueueSettings.from_settings(app.config["SETTINGS"])
    if queue is None:
        raise SystemExit("SHADOW_QUEUE_URL is not set: shadow runs in-process, no worker needed")
    worker = ShadowWorker(app, queue, concurrency=concurrency, batch=batch,
                          claim_idle=claim_idle)
    server = serve(worker, host, port)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: worker.stop())
    print(f"shadow worker {worker.consumer}: {concurrency} threads on {queue.stream}; "
          f"/metrics and /health on http://{host}:{server.server_port}", flush=True)
    try:
        worker.run()
    finally:
        server.shutdown()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m proxy.shadow_worker")
    parser.add_argument("--app", help="module:attribute of the proxy app (default: the proxy "
                        "built from the environment)")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--claim-idle", type=float, default=30.0)
    parser.add_argument("--batch", type=int, default=10)
    args = parser.parse_args(argv)
    if args.app:
        module, _, name = args.app.partition(":")
        app = getattr(importlib.import_module(module), name or "app")
    else:
        from proxy import create_app

        app = create_app(serve=False)
    work(app, concurrency=args.concurrency, host=args.host, port=args.port,
         claim_idle=args.claim_idle, batch=args.batch)


if __name__ == "__main__":
    main()
