"""Benchmark the routing proxy against legacy direct and an nginx proxy_pass: ``make bench-proxy``.

One run measures GET /api/tags and GET /api/articles with wrk, direct to legacy, through
nginx (configured here), and through the proxy in four variants (urllib3 or httpx to legacy,
gunicorn gthread or gevent workers), and through the edge rendered from routes.yaml
(``strangler edge nginx``): for a plain legacy route (nginx straight to legacy), and for the
same paths served by Flask (edge + proxy, beside the proxy alone on that table), all running
at once. BENCH_ROUNDS (default 3) rounds
each measure every target in turn, so that load from elsewhere hits all of them alike; the
medians are reported. BENCH_SECONDS (default 4) per measurement, BENCH_CONNECTIONS (default
32) for throughput; latency is also measured at one connection.
The Markdown table is printed and written to tests/artifacts/bench_proxy.md.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from pathlib import Path

import httpx

from backend.database import REPO_ROOT
from tests.performance.proxy import machine, tools, wrk
from tests.performance.proxy.nginx import nginx_process
from tests.support.databases import migrate
from tests.support.edge import edge_process
from tests.support.processes import ServerProcess, legacy_process, proxy_process

PATHS = ("/api/tags", "/api/articles")
VARIANTS = (("urllib3", "gthread"), ("httpx", "gthread"), ("urllib3", "gevent"),
            ("httpx", "gevent"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "4"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))


def seed(legacy_url: str, articles: int = 20) -> None:
    """Register a user and publish articles with tags, so both paths return real rows."""
    with httpx.Client(base_url=legacy_url, timeout=10) as client:
        user = {"username": "bench", "email": "bench@example.com", "password": "bench-password"}
        token = client.post("/api/users", json={"user": user}).json()["user"]["token"]
        for n in range(articles):
            article = {"title": f"Benchmark article {n}", "description": "d", "body": "b" * 500,
                       "tagList": [f"tag{n % 7}", "bench"]}
            client.post("/api/articles", json={"article": article},
                        headers={"Authorization": f"Token {token}"}).raise_for_status()


def measure(binaries: dict[str, str], url: str, path: str) -> dict[str, float]:
    """Return throughput at CONNECTIONS and latency at one connection for ``path``."""
    busy = wrk.run(binaries["wrk"], url + path, connections=CONNECTIONS, threads=2,
                   seconds=SECONDS)
    single = wrk.run(binaries["wrk"], url + path, connections=1, threads=1, seconds=SECONDS)
    return {"rps": busy.rps, "p50": busy.p50_ms, "p99": busy.p99_ms,
            "errors": busy.errors + single.errors, "p50_c1": single.p50_ms, "rps_c1": single.rps}


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    """Return the median of each number over the rounds (errors are summed)."""
    out = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    out["errors"] = sum(run["errors"] for run in runs)
    return out


def table(results: dict[str, dict[str, dict[str, float]]]) -> str:
    lines = [
        f"| path | target | rps (c={CONNECTIONS}) | p50 ms | p99 ms | p50 ms (c=1) | "
        "proxy/direct rps | proxy/nginx rps | added p50 ms (c=1) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for path in PATHS:
        direct, nginx = results["direct"][path], results["nginx"][path]
        for target, by_path in results.items():
            numbers = by_path[path]
            proxied = target not in ("direct", "nginx")
            ratios = (f"{numbers['rps'] / direct['rps']:.0%} | {numbers['rps'] / nginx['rps']:.0%}"
                      if proxied else " | ")
            added = f"{numbers['p50_c1'] - direct['p50_c1']:+.3f}" if target != "direct" else ""
            lines.append(
                f"| {path} | {target} | {numbers['rps']:,.0f} | {numbers['p50']:.2f} | "
                f"{numbers['p99']:.2f} | {numbers['p50_c1']:.3f} | {ratios} | {added} |"
            )
    edge, nginx = results.get(EDGE_LEGACY), results["nginx"]
    if edge is not None:
        lines.append("")
        lines += [f"Edge on a legacy route vs nginx proxy_pass, {path}: p50 at c=1"
                  f" {edge[path]['p50_c1'] - nginx[path]['p50_c1']:+.3f} ms, rps at"
                  f" c={CONNECTIONS} {edge[path]['rps'] / nginx[path]['rps']:.0%}."
                  for path in PATHS]
    return "\n".join(lines)


EDGE_LEGACY = "edge (legacy route)"


def flask_routes(work: Path) -> Path:
    """Return a copy of routes.yaml in which Flask serves the benchmarked paths."""
    text = (REPO_ROOT / "routes.yaml").read_text()
    for path in PATHS:
        legacy = f"  - route: GET {path}\n    serve: legacy\n"
        assert legacy in text, f"routes.yaml no longer lists {legacy!r}"
        text = text.replace(legacy, legacy.replace("legacy\n", "flask\n"))
    routes = work / "routes-flask.yaml"
    routes.write_text(text)
    return routes


def main() -> None:
    binaries = tools.require("wrk", "nginx")
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="bench-proxy-"))
    database = f"sqlite:///{work / 'bench.sqlite'}"
    migrate(database)
    servers: list[ServerProcess] = []
    results: dict[str, dict[str, dict[str, float]]] = {}
    targets: dict[str, str] = {}
    try:
        legacy = legacy_process(database, work).start()
        servers.append(legacy)
        seed(legacy.url)
        targets["direct"] = legacy.url
        nginx = nginx_process(binaries["nginx"], legacy.url, work / "nginx",
                              workers=os.cpu_count() or 1).start()
        servers.append(nginx)
        targets["nginx"] = nginx.url
        for client, worker_class in VARIANTS:
            name = f"proxy {client} {worker_class}"
            metrics_dir = work / name.replace(" ", "-")
            metrics_dir.mkdir()
            proxy = proxy_process(
                REPO_ROOT / "routes.yaml", database, work, metrics_dir,
                LEGACY_URL=legacy.url, PROXY_HTTP_CLIENT=client,
                GUNICORN_WORKER_CLASS=worker_class,
                WEB_CONCURRENCY=os.environ.get("BENCH_PROXY_WORKERS", "4"),
                GUNICORN_THREADS="16",
            )
            servers.append(proxy.start())
            targets[name] = proxy.url
        # The edge: straight to legacy for the repository's table (both paths plain legacy),
        # and in front of a proxy whose table has Flask serve them.
        workers = os.cpu_count() or 1
        edge = edge_process(binaries["nginx"], REPO_ROOT / "routes.yaml", legacy.url,
                            targets["proxy urllib3 gthread"], work / "edge-legacy",
                            workers=workers)
        servers.append(edge.start())
        targets[EDGE_LEGACY] = edge.url
        (work / "proxy-flask").mkdir()
        routes = flask_routes(work)
        proxy = proxy_process(routes, database, work, work / "proxy-flask",
                              name="proxy-flask", LEGACY_URL=legacy.url,
                              WEB_CONCURRENCY=os.environ.get("BENCH_PROXY_WORKERS", "4"),
                              GUNICORN_THREADS="16")
        servers.append(proxy.start())
        targets["proxy urllib3 gthread (flask route)"] = proxy.url
        edge = edge_process(binaries["nginx"], routes, legacy.url, proxy.url,
                            work / "edge-flask", workers=workers)
        servers.append(edge.start())
        targets["edge + proxy (flask route)"] = edge.url
        runs: dict[str, dict[str, list[dict[str, float]]]] = {
            name: {path: [] for path in PATHS} for name in targets
        }
        for round_number in range(1, ROUNDS + 1):
            for path in PATHS:
                for name, url in targets.items():
                    numbers = measure(binaries, url, path)
                    runs[name][path].append(numbers)
                    print(f"round {round_number} {path} {name}: {numbers['rps']:,.0f} rps,"
                          f" p50 {numbers['p50']:.2f} ms, p99 {numbers['p99']:.2f} ms;"
                          f" c=1 p50 {numbers['p50_c1']:.3f} ms", flush=True)
        results = {name: {path: median_of(runs[name][path]) for path in PATHS}
                   for name in targets}
    finally:
        for server in reversed(servers):
            try:
                server.stop(timeout=60)
            except RuntimeError as error:  # killed; a slow stop must not lose the results
                print(f"bench: {error}", flush=True)
    report = (f"Machine: {machine.describe(binaries['nginx'], binaries['wrk'])}\n\n"
              f"wrk: {ROUNDS} rounds, each measuring every target in turn (medians shown);"
              f" {SECONDS} s per measurement after a 1 s warm-up, {CONNECTIONS} connections"
              f" (2 wrk threads) for rps/p50/p99 and 1 connection for the c=1 column; legacy"
              f" on SQLite with 20 articles; 1-minute load average {load_before:.1f} before,"
              f" {os.getloadavg()[0]:.1f} after.\n\n{table(results)}\n")
    artifacts = REPO_ROOT / "tests" / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "bench_proxy.md").write_text(report)
    (artifacts / "bench_proxy.json").write_text(json.dumps(results, indent=2))
    print("\n" + report)
    errors = sum(n["errors"] for by_path in results.values() for n in by_path.values())
    if errors:
        print(f"bench: {errors} failed requests (non-2xx or socket errors) during the runs")


if __name__ == "__main__":
    main()
