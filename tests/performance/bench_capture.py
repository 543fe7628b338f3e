"""What capture costs the request path: capture off vs on (``python -m
tests.performance.bench_capture``; ``make bench-shadow`` runs it too).

Three proxies on one PostgreSQL database in front of one legacy, every route served by legacy
and none shadowed: without ``capture:``, with ``capture: {fraction: 0.1}`` and with
``{fraction: 1.0}`` (every request teed, queued, then redacted and stored by the worker's
background writer, which shares the worker's CPU and GIL). wrk measures
GET /api/articles through each in interleaved rounds (medians): rps and p50/p99 at
BENCH_CONNECTIONS (8), p50 at one connection. Ratios, not absolute numbers, are the result
(the machine is shared). First, in-process, the CPU time one request pays for being captured
and what the writer thread pays per record (``micro``; alone with BENCH_MICRO_ONLY=1).
The report goes to tests/artifacts/bench_capture.md.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from pathlib import Path

from tests.performance.bench_proxy import seed
from tests.performance.proxy import machine, tools, wrk
from tests.support import routes
from tests.support.databases import DatabaseFactory
from tests.support.processes import REPO_ROOT, ServerProcess, legacy_process, proxy_process

SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
PATH = "/api/articles"
MICRO = int(os.environ.get("BENCH_MICRO", "2000"))


def routes_text(capture: float | None) -> str:
    """Return the shipped table, with every route captured at ``capture`` (None: off)."""
    table = routes.production()
    if capture is not None:
        table["capture"] = {"fraction": capture, "max_per_hour": 1_000_000}
    return routes.dump(table)


def run() -> str:
    """Run the benchmark; return its Markdown report."""
    binaries = tools.require("wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-capture-"))
    factory = DatabaseFactory(work)
    database = factory.create("postgresql")
    servers: list[ServerProcess] = []
    targets = {"capture off": None, "capture 10%": 0.1, "capture 100%": 1.0}
    urls: dict[str, str] = {}
    try:
        legacy = legacy_process(database, work).start()
        servers.append(legacy)
        seed(legacy.url)
        for name, fraction in targets.items():
            routes_file = work / f"routes-{len(urls)}.yaml"
            routes_file.write_text(routes_text(fraction))
            metrics = work / f"metrics-{len(urls)}"
            metrics.mkdir()
            proxy = proxy_process(routes_file, database, work, metrics, LEGACY_URL=legacy.url,
                                  WEB_CONCURRENCY="2", GUNICORN_THREADS="16").start()
            servers.append(proxy)
            urls[name] = proxy.url
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        for _ in range(ROUNDS):
            for name in runs:
                busy = wrk.run(binaries["wrk"], urls[name] + PATH, connections=CONNECTIONS,
                               threads=2, seconds=SECONDS)
                single = wrk.run(binaries["wrk"], urls[name] + PATH, connections=1, threads=1,
                                 seconds=SECONDS)
                runs[name].append({"rps": busy.rps, "p50": busy.p50_ms, "p99": busy.p99_ms,
                                   "p50_c1": single.p50_ms})
                print(f"{name}: {busy.rps:,.0f} rps, p99 {busy.p99_ms:.2f} ms,"
                      f" c=1 p50 {single.p50_ms:.3f} ms", flush=True)
    finally:
        for server in reversed(servers):
            server.stop()
        factory.drop_all()
    medians = {name: {k: statistics.median(n[k] for n in numbers) for k in numbers[0]}
               for name, numbers in runs.items()}
    base = medians["capture off"]
    lines = [f"| GET {PATH} through | rps (c={CONNECTIONS}) | p50 ms | p99 ms |"
             " p50 ms (c=1) | rps vs off | p50 (c=1) vs off |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, m in medians.items():
        lines.append(f"| {name} | {m['rps']:,.0f} | {m['p50']:.2f} | {m['p99']:.2f} |"
                     f" {m['p50_c1']:.2f} | {m['rps'] / base['rps'] - 1:+.0%} |"
                     f" {m['p50_c1'] / base['p50_c1'] - 1:+.0%} |")
    return (f"Machine: {machine.describe('nginx', binaries['wrk'])}\n\nwrk, {ROUNDS} rounds"
            f" interleaved (medians), {SECONDS} s each; proxies with 2 gthread workers x 16"
            f" threads; legacy and the capture store on PostgreSQL; 1-minute load average"
            f" {os.getloadavg()[0]:.1f} at the end.\n\n" + "\n".join(lines))


def micro(count: int = MICRO) -> str:
    """Time, in this process, what one request pays for capture (plan, tee, queue) against
    the same request uncaptured, and what the writer thread pays per record off the path
    (redact, JSON, INSERT in batches of 100 into SQLite); CPU seconds, best of 3."""
    import json
    import time

    import sqlalchemy as sa

    from proxy.capturing import Capturing
    from shadow import Exchange, Observation, schema
    from shadow.capture import CaptureStore, CaptureWriter
    from shadow.capture_policy import Policy
    from shadow.capture_redact import redact_record
    from shadow.record import Record

    body = json.dumps({"articles": [{"slug": f"a-{n}", "title": "t" * 40, "body": "b" * 300,
                                     "author": {"username": "jake", "token": "eyJx.eyJy.z"},
                                     "tagList": ["x", "y"]} for n in range(20)],
                       "articlesCount": 20}).encode()
    chunks = [body[i:i + 4096] for i in range(0, len(body), 4096)]
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    exchange = Exchange(route="GET /api/articles", method="GET", path="/api/articles",
                        target="/api/articles?limit=20", started=time.time(),
                        headers=(("Authorization", "Token eyJx.eyJy.z"), ("Host", "x")))
    work = Path(tempfile.mkdtemp(prefix="bench-capture-micro-"))
    engine = sa.create_engine(f"sqlite:///{work / 'store.sqlite'}")
    schema.metadata.create_all(engine)
    capturing = Capturing({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'store.sqlite'}"})
    capturing.writer = CaptureWriter(CaptureStore(engine), max_queue=count + 10)
    policy = Policy(fraction=1.0, max_per_hour=10 * count)

    def served(captured: bool) -> None:
        out, done = iter(chunks), (lambda error: None)
        if captured:
            capture = capturing.plan(exchange, policy, None)
            assert capture is not None
            out, done = capture.observe(200, headers, out, done, time.perf_counter())
        for _ in out:
            pass
        done(None)

    def best(run) -> float:
        times = []
        for _ in range(3):
            started = time.process_time()
            run()
            times.append(time.process_time() - started)
        return min(times)

    off = best(lambda: [served(False) for _ in range(count)]) / count
    capturing.writer._start()  # the thread exists before timing (as in a warm worker)
    on = best(lambda: [served(True) for _ in range(count)]) / count
    capturing.writer.close()
    record = Record(exchange, Observation(200, headers, body, 0.01))
    store = CaptureStore(engine)

    def write() -> None:
        for _ in range(count // 100):
            store.add([redact_record(record, policy.redact) for _ in range(100)])

    writer = best(write) / (count // 100 * 100)
    engine.dispose()
    return (f"In-process, {count} requests ({len(body):,}-byte JSON answer), CPU time, best of"
            f" 3:\n\n| | per request |\n|---|---:|\n"
            f"| request path, not captured | {off * 1e6:.1f} µs |\n"
            f"| request path, captured (plan, tee, queue) | {on * 1e6:.1f} µs"
            f" (+{(on - off) * 1e6:.1f} µs) |\n"
            f"| writer thread, per record (redact, JSON, INSERT) | {writer * 1e6:.0f} µs |\n")


def main() -> None:
    report = "# Capture: request-path cost\n\n" + micro() + "\n"
    if os.environ.get("BENCH_MICRO_ONLY"):
        print(report)
        return
    report += run() + "\n"
    out = REPO_ROOT / "tests" / "artifacts" / "bench_capture.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
