"""Benchmark what counting route traffic (proxy.traffic) costs a request.

Run ``python -m tests.performance.bench_traffic``. Three figures, each the best of five
bounded rounds, reported as ratios (no target is asserted: this machine is shared):

- ``TrafficCounter.count`` (kind and route already known) against the Prometheus counter the
  proxy bumps for every request anyway (``strangler_proxy_requests_total``);
- a whole request through the proxy's WSGI middleware, served by an in-process Flask
  backend, with and without the count (``Handling.traffic`` None).

The writer thread flushes every 5 s into a SQLite file, as it would into PostgreSQL, off the
timed path. The report goes to tests/artifacts/bench_traffic.md.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, jsonify
from werkzeug.test import EnvironBuilder

from proxy import create_app, metrics, traffic
from proxy.access_log import access_logger
from tests.support.processes import REPO_ROOT

ROUTES = """\
legacy:
  url: http://127.0.0.1:9
routes:
  - route: GET /api/tags
    serve: flask
"""


def per_call(action: Callable[[], object], calls: int, rounds: int = 5) -> float:
    """Return the best seconds per call of ``action`` over ``rounds`` of ``calls`` calls."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            action()
        best = min(best, (time.perf_counter() - started) / calls)
    return best


def proxy_request(directory: Path) -> tuple[Callable[[], object], Flask]:
    backend = Flask("bench_backend")
    backend.get("/api/tags")(lambda: jsonify(tags=["a", "b"]))
    routes = directory / "routes.yaml"
    routes.write_text(ROUTES)
    url = f"sqlite:///{directory / 'bench.sqlite'}"
    traffic.metadata.create_all(sa.create_engine(url))
    app = create_app({"ROUTES_FILE": str(routes), "BACKEND_APP": backend,
                      "SQLALCHEMY_DATABASE_URI": url, "LEGACY_URL": "http://127.0.0.1:9"})
    environ = EnvironBuilder(path="/api/tags", method="GET").get_environ()

    def request() -> object:
        body = app.wsgi_app(dict(environ), lambda status, headers, exc=None: None)
        try:
            return b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()

    return request, app


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        engine = sa.create_engine(f"sqlite:///{directory / 'count.sqlite'}")
        traffic.metadata.create_all(engine)
        counter = traffic.TrafficCounter(lambda: engine)
        count = per_call(lambda: counter.count("GET /api/tags", True, "request", "legacy"),
                         200_000)
        series = metrics.REQUESTS.labels("GET /api/tags", "GET", "2xx", "legacy")
        prometheus = per_call(series.inc, 200_000)
        labelled = per_call(
            lambda: metrics.REQUESTS.labels("GET /api/tags", "GET", "2xx", "legacy").inc(),
            200_000)
        counter.close()

        request, app = proxy_request(directory)
        runtime = app.extensions["strangler"]
        request()  # start the runtime: the route table, the counter's thread
        access_logger.disabled = True  # one JSON line per request: not what is measured
        kept = runtime.traffic
        with_count = without = float("inf")
        for _ in range(5):  # alternated, so that both see the same machine
            runtime.traffic = kept
            with_count = min(with_count, per_call(request, 2_000, rounds=1))
            runtime.traffic = None
            without = min(without, per_call(request, 2_000, rounds=1))
        runtime.traffic = kept
        kept.close()

    lines = [
        "# Route traffic counting: cost per request",
        "",
        "| measured | per call | ratio |",
        "|---|---:|---:|",
        f"| TrafficCounter.count | {count * 1e9:.0f} ns | 1 |",
        f"| Prometheus counter .inc() (series at hand) | {prometheus * 1e9:.0f} ns "
        f"| {prometheus / count:.2f} x count |",
        f"| Prometheus .labels(...).inc() (as the proxy calls it) | {labelled * 1e9:.0f} ns "
        f"| {labelled / count:.2f} x count |",
        f"| proxied request (Flask side), without counting | {without * 1e6:.1f} us | 1 |",
        f"| proxied request (Flask side), counted | {with_count * 1e6:.1f} us "
        f"| {with_count / without:.3f} x without |",
        "",
        f"count() is {100 * count / without:.2f}% of a whole in-process request.",
    ]
    report = "\n".join(lines) + "\n"
    out = REPO_ROOT / "tests" / "artifacts" / "bench_traffic.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
