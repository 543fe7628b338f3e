"""What capture costs the request path: capture off vs on (``python -m
tests.performance.bench_capture``; ``make bench-shadow`` runs it too).

Three proxies on one PostgreSQL database in front of one legacy, every route served by legacy
and none shadowed: without ``capture:``, with ``capture: {fraction: 0.1}`` and with
``{fraction: 1.0}`` (every request teed, queued, then redacted and stored by the worker's
background writer, which shares the worker's CPU and GIL). wrk measures
GET /api/articles through each in interleaved rounds (medians): rps and p50/p99 at
BENCH_CONNECTIONS (8), p50 at one connection. Ratios, not absolute numbers, are the result
(the machine is shared). The report goes to tests/artifacts/bench_capture.md.
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


def main() -> None:
    report = "# Capture: request-path cost\n\n" + run() + "\n"
    out = REPO_ROOT / "tests" / "artifacts" / "bench_capture.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report)
    print(report)


if __name__ == "__main__":
    main()
