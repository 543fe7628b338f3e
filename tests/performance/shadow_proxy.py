"""The proxy half of ``make bench-shadow``: what shadow mode costs the control.

Three proxies run at once on one PostgreSQL database in front of one legacy: unshadowed,
shadow at 0% sampling and shadow at 100% (legacy control, Flask candidate in-process). wrk
measures GET /api/articles through each, in interleaved rounds (medians): rps and p99 at
BENCH_CONNECTIONS (8), p50 at one connection back to back (closed loop: the candidate's
work competes with the next request), and p50/p99 of a paced loop (BENCH_RATE requests/s,
open loop: the candidate has time to finish between requests, as at moderate production
load). Then the dry-run write cost: a bounded loop of POST /api/articles/:slug/comments, one
at a time, with and without ``writes: dry-run``.

Queued rows (issue 13): the same load through proxies that publish to a Redis Stream
(SHADOW_QUEUE_URL, the shared Redis unless STRANGLER_TEST_REDIS_URL) with 1 and with 3 shadow
workers as separate processes at ``nice 10``. After each measurement the workers are given
until the stream is drained (bounded); their table gives comparisons per second (from the
load's start to the drain), the lag (request -> stored comparison, p50/p99 over the workers'
last 10,000) and the shares compared / skipped of the requests shadowed.

Scale-out rows: the same load split over 2 proxies publishing to one stream (one consumer
group) with 1 and 3 workers: wrk at BENCH_CONNECTIONS/2 on each proxy at once (rps summed,
p50 the mean, p99 the worse), the paced loop alternating between them, and the c=1 loop on
the first (one connection cannot be split).

``BENCH_QUICK=1`` (``make bench-shadow-quick``): 1 round of 1 s, 40 paced GETs, 40 writes,
drains of at most 30 s: a smoke run of a few minutes whose numbers are not for the docs.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.performance.bench_proxy import seed
from tests.performance.proxy import machine, tools, wrk
from tests.support import routes
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess, legacy_process, proxy_process
from tests.support.shadow_queue import drop_stream, queue_env, worker_process

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
SECONDS = int(os.environ.get("BENCH_SECONDS", "1" if QUICK else "3"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if QUICK else "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WRITES = int(os.environ.get("BENCH_WRITES", "40" if QUICK else "200"))
RATE = float(os.environ.get("BENCH_RATE", "20"))
PACED = int(os.environ.get("BENCH_PACED", "40" if QUICK else "150"))
PATH = "/api/articles"
QUEUED = {  # name: (proxies publishing to the one stream, workers)
    "queued 100%, 1 worker": (1, 1),
    "queued 100%, 3 workers": (1, 3),
    "queued 100%, 2 proxies, 1 worker": (2, 1),
    "queued 100%, 2 proxies, 3 workers": (2, 3),
}
DRAIN = float(os.environ.get("BENCH_DRAIN_SECONDS", "30" if QUICK else "120"))


def counter(url: str, name: str) -> float:
    total = 0.0
    for line in httpx.get(url + "/metrics", timeout=10).text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def queue_counts(proxies: list[str], workers: list[str]) -> dict[str, float]:
    """Return what the proxies published and skipped, and what their workers compared."""
    health = [httpx.get(url + "/health", timeout=10).json() for url in workers]
    return {"published": sum(counter(p, "shadow_queue_published_total") for p in proxies),
            "skipped": sum(counter(p, "shadow_queue_skipped_total") for p in proxies),
            # a worker counts what it compared; an exchange claimed from a worker slower
            # than --claim-idle is compared twice and stored once: count it once
            "compared": sum(h["compared"] for h in health)
            - sum(counter(url, "shadow_worker_duplicates_total") for url in workers),
            "lag_p50": statistics.median(h["lag_p50_ms"] or 0.0 for h in health),
            "lag_p99": max(h["lag_p99_ms"] or 0.0 for h in health)}


def drained(proxies: list[str], workers: list[str]) -> dict[str, float]:
    """Wait (at most DRAIN s) until the workers compared all the proxies published."""
    deadline = time.monotonic() + DRAIN
    while True:
        counts = queue_counts(proxies, workers)
        if counts["compared"] >= counts["published"] or time.monotonic() > deadline:
            return counts
        time.sleep(0.25)


def routes_text(sample: float | None, dry_run: bool = False) -> str:
    """Return a routes.yaml with the article routes shadowed at ``sample`` (None: unshadowed)."""
    if sample is None:
        return routes.dump(routes.production())
    compared = {"shadow": "flask", **({"writes": "dry-run"} if dry_run else {})}
    return routes.routes_yaml(shadow={"sample": sample}, routes={
        "GET /api/articles": compared, "POST /api/articles/:slug/comments": compared})


def paced(urls: list[str]) -> tuple[float, float]:
    """Return p50 and p99 ms of PACED GETs sent at RATE per second (one at a time, taking
    the proxies in turn)."""
    times = []
    clients = [httpx.Client(base_url=url, timeout=10) for url in urls]
    try:
        start = time.perf_counter()
        for n in range(PACED):
            delay = start + n / RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent = time.perf_counter()
            clients[n % len(clients)].get(PATH).raise_for_status()
            times.append((time.perf_counter() - sent) * 1000)
    finally:
        for client in clients:
            client.close()
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.99) - 1)]


def saturate(wrk_binary: str, urls: list[str]) -> dict[str, float]:
    """Return rps (summed), p50 (mean) and p99 (worst) of wrk at CONNECTIONS split evenly over
    ``urls``, all at once."""
    share = max(1, CONNECTIONS // len(urls))
    with ThreadPoolExecutor(len(urls)) as pool:
        results = list(pool.map(lambda url: wrk.run(
            wrk_binary, url + PATH, connections=share, threads=min(2, share),
            seconds=SECONDS), urls))
    return {"rps": sum(r.rps for r in results),
            "p50": statistics.mean(r.p50_ms for r in results),
            "p99": max(r.p99_ms for r in results), "errors": sum(r.errors for r in results)}


def write_cost(url: str, token: str, slug: str) -> tuple[float, float]:
    """Return p50 and p99 ms of WRITES comment creations, one at a time."""
    times = []
    with httpx.Client(base_url=url, timeout=10,
                      headers={"Authorization": f"Token {token}"}) as client:
        for n in range(WRITES):
            started = time.perf_counter()
            client.post(f"/api/articles/{slug}/comments",
                        json={"comment": {"body": f"c{n}"}}).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def run() -> str:
    """Run the proxy benchmark; return its Markdown report."""
    binaries = tools.require("wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-shadow-"))
    factory = DatabaseFactory(work)
    database = factory.create("postgresql")
    servers: list[ServerProcess] = []
    targets = {"unshadowed": None, "shadow 0%": 0.0, "shadow 100%": 1.0,
               "shadow 100%, writes dry-run": 1.0, **dict.fromkeys(QUEUED, 1.0)}
    urls: dict[str, list[str]] = {}
    worker_urls: dict[str, list[str]] = {}
    streams: list[dict[str, str]] = []
    queued: dict[str, list[dict[str, float]]] = {name: [] for name in QUEUED}
    try:
        legacy = legacy_process(database, work).start()
        servers.append(legacy)
        seed(legacy.url)
        for name, sample in targets.items():
            routes_file = work / f"routes-{len(urls)}.yaml"
            routes_file.write_text(routes_text(sample, dry_run="dry-run" in name))
            env = queue_env() if name in QUEUED else {}
            streams.append(env)
            proxies, workers = QUEUED.get(name, (1, 0))
            for n in range(proxies):  # the same stream and key: one consumer group
                metrics = work / f"metrics-{len(urls)}-{n}"
                metrics.mkdir()
                proxy = proxy_process(routes_file, database, work, metrics,
                                      LEGACY_URL=legacy.url, WEB_CONCURRENCY="2",
                                      GUNICORN_THREADS="16", **env).start()
                servers.append(proxy)
                urls.setdefault(name, []).append(proxy.url)
            for _ in range(workers):
                worker = worker_process(database, work, nice=10, concurrency=2,
                                        ROUTES_FILE=str(routes_file), LEGACY_URL=legacy.url,
                                        **env).start()
                servers.append(worker)
                worker_urls.setdefault(name, []).append(worker.url)
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets if
                                                   "dry-run" not in name}
        for _ in range(ROUNDS):
            for name in runs:
                if name in QUEUED:
                    before, started = queue_counts(urls[name], worker_urls[name]), time.monotonic()
                busy = saturate(binaries["wrk"], urls[name])
                single = wrk.run(binaries["wrk"], urls[name][0] + PATH, connections=1,
                                 threads=1, seconds=SECONDS)
                p50_paced, p99_paced = paced(urls[name])
                runs[name].append({**busy, "p50_c1": single.p50_ms, "p50_paced": p50_paced,
                                   "p99_paced": p99_paced})
                print(f"{name}: {busy['rps']:,.0f} rps, p99 {busy['p99']:.2f} ms,"
                      f" c=1 p50 {single.p50_ms:.3f} ms, paced p50 {p50_paced:.2f} ms",
                      flush=True)
                if name in QUEUED:
                    after = drained(urls[name], worker_urls[name])
                    spent = time.monotonic() - started
                    shadowed = (after["published"] - before["published"]
                                + after["skipped"] - before["skipped"])
                    queued[name].append({
                        "per_s": (after["compared"] - before["compared"]) / spent,
                        "lag_p50": after["lag_p50"], "lag_p99": after["lag_p99"],
                        "compared": (after["compared"] - before["compared"]) / shadowed,
                        "skipped": (after["skipped"] - before["skipped"]) / shadowed})
                    print(f"{name}: {queued[name][-1]}", flush=True)
        with httpx.Client(base_url=legacy.url) as client:
            token = client.post("/api/users/login", json={"user": {
                "email": "bench@example.com", "password": "bench-password"}}).json()["user"][
                "token"]
            slug = client.get("/api/articles?limit=1").json()["articles"][0]["slug"]
        writes = {name: write_cost(urls[name][0], token, slug)
                  for name in ("unshadowed", "shadow 100%", "shadow 100%, writes dry-run")}
    finally:
        for server in reversed(servers):
            server.stop()
        for env in streams:
            if env:
                drop_stream(env)
        factory.drop_all()
    base = {k: statistics.median(r[k] for r in runs["unshadowed"])
            for k in ("p50_c1", "p50_paced")}
    lines = [f"| GET {PATH} through | rps (c={CONNECTIONS}) | p50 ms (c={CONNECTIONS}) |"
             f" p99 ms (c={CONNECTIONS}) | p50 ms (c=1) | vs unshadowed |"
             f" p50 / p99 ms ({RATE:g}/s paced) | vs unshadowed |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, numbers in runs.items():
        m = {k: statistics.median(n[k] for n in numbers) for k in numbers[0]}
        lines.append(f"| {name} | {m['rps']:,.0f} | {m['p50']:.2f} | {m['p99']:.2f} |"
                     f" {m['p50_c1']:.2f} | {m['p50_c1'] / base['p50_c1'] - 1:+.0%} |"
                     f" {m['p50_paced']:.2f} / {m['p99_paced']:.2f} |"
                     f" {m['p50_paced'] / base['p50_paced'] - 1:+.0%} |")
    lines += ["", "| POST /api/articles/:slug/comments through | p50 ms | p99 ms |",
              "|---|---:|---:|"]
    lines += [f"| {name} | {p50:.2f} | {p99:.2f} |" for name, (p50, p99) in writes.items()]
    lines += ["", "| queued shadow, GET through | comparisons/s (load start to drained) |"
              " lag p50 / p99 ms | compared | skipped |", "|---|---:|---:|---:|---:|"]
    for name, numbers in queued.items():
        m = {k: statistics.median(n[k] for n in numbers) for k in numbers[0]}
        lines.append(f"| {name} | {m['per_s']:,.0f} | {m['lag_p50']:,.0f} /"
                     f" {m['lag_p99']:,.0f} | {m['compared']:.1%} | {m['skipped']:.1%} |")
    return (f"Machine: {machine.describe('nginx', binaries['wrk'])}\n\nwrk, {ROUNDS} rounds"
            f" interleaved (medians), {SECONDS} s each after a 1 s warm-up; proxies with 2"
            f" gthread workers x 16 threads; legacy and the parity store on PostgreSQL; 20"
            f" articles; 2 proxies: wrk at c={CONNECTIONS // 2} on each at once (rps summed, p50"
            f" the mean, p99 the worse), paced GETs alternating, c=1 on the first; paced:"
            f" {PACED} GETs at {RATE:g}/s; {WRITES} sequential comment writes per row;"
            f" 1-minute load average {os.getloadavg()[0]:.1f} at the end.\n\n"
            + "\n".join(lines))
