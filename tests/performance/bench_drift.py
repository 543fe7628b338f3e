"""Drift in queued shadow: how the ignored / mismatch shares move with lag (issue 13).

Run ``python -m tests.performance.bench_drift`` (``make bench-shadow`` runs it too). One
legacy, one proxy publishing reads of GET /api/articles/:slug to a Redis Stream (the shared
Redis unless STRANGLER_TEST_REDIS_URL) and one shadow worker at ``nice 10``. A writer changes
the same articles all along (PUT /api/articles/:slug to legacy, DRIFT_WRITE_RATE per second
over DRIFT_SLUGS articles): the data a read's control saw keeps moving under its candidate.

Lag bands: the worker is paused (SIGSTOP) while a burst of reads is served and published, and
let go (SIGCONT) after the band's pause, then drains before the next burst, so each burst is
compared about that long after its requests (pause 0: the worker runs throughout). Per band,
from the parity store: the comparisons' lag p50/p99 (``lag_ms``) and the shares match / ignored
/ mismatch / other. An ``ignored`` here is drift excused by the recheck (the control asked
again answers as the candidate did, or the data moved and both sides asked again agree;
docs/shadow.md "Drift"); a mismatch is drift the recheck could not prove (a write landed
between the control's second answer and the candidate's). Flask and legacy agree on these reads
when the data holds still, so every difference here is drift. The report goes to
tests/artifacts/bench_drift.md.

``BENCH_QUICK=1``: fewer bursts (a smoke run, not numbers for the docs).
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.performance.bench_proxy import seed
from tests.performance.proxy import machine
from tests.support import routes
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess, legacy_process, proxy_process
from tests.support.shadow_proxy import comparisons
from tests.support.shadow_queue import drop_stream, queue_env, worker_process

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
PAUSES = (0.0, 1.0, 5.0)  # seconds the worker is held after a burst
READS = int(os.environ.get("DRIFT_READS", "30" if QUICK else "150"))  # per band
BURST = 10  # reads per burst, over about half a second
WRITE_RATE = float(os.environ.get("DRIFT_WRITE_RATE", "10"))
SLUGS = int(os.environ.get("DRIFT_SLUGS", "3"))
ROUTE = "GET /api/articles/:slug"
DRAIN = 120.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


class Writer(threading.Thread):
    """Update the articles' bodies at WRITE_RATE per second until stopped (bounded)."""

    def __init__(self, legacy_url: str, token: str, slugs: list[str]) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.slugs = legacy_url, token, slugs
        self.stop = threading.Event()
        self.writes = 0
        self.failures = 0

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10,
                          headers={"Authorization": f"Token {self.token}"}) as client:
            while not self.stop.wait(1 / WRITE_RATE) and self.writes < 100_000:
                slug = self.slugs[self.writes % len(self.slugs)]
                response = client.put(f"/api/articles/{slug}",
                                      json={"article": {"body": f"edit {self.writes}"}})
                self.failures += response.status_code != 200
                self.writes += 1


def stored(database: str, ids: list[str], limit: float) -> list[dict]:
    """Wait (at most ``limit`` s) until every one of ``ids`` is compared; return their rows."""
    wanted, deadline = set(ids), time.monotonic() + limit
    while True:
        rows = [row for row in comparisons(database) if row["request_id"] in wanted]
        if len(rows) >= len(ids) or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def band(proxy: str, worker: ServerProcess, database: str, slugs: list[str],
         pause: float) -> dict[str, float]:
    """Serve READS reads in bursts, holding the worker ``pause`` s after each burst's start
    and letting it drain before the next; return the band's shares."""
    assert worker.proc is not None
    ids: list[str] = []
    with httpx.Client(base_url=proxy, timeout=10) as client:
        while len(ids) < READS:
            if pause:
                os.kill(worker.proc.pid, signal.SIGSTOP)
            started = time.monotonic()
            for _ in range(BURST):
                rid = f"drift-{pause:g}-{len(ids)}"
                client.get(f"/api/articles/{slugs[len(ids) % len(slugs)]}",
                           headers={"X-Request-ID": rid}).raise_for_status()
                ids.append(rid)
                time.sleep(0.05)
            if pause:
                time.sleep(max(0.0, pause - (time.monotonic() - started)))
                os.kill(worker.proc.pid, signal.SIGCONT)
                stored(database, ids, 30.0)  # drained: the next burst's lag is its own
    rows = stored(database, ids, DRAIN)
    outcomes = Counter(row["outcome"] for row in rows)
    lags = [row["lag_ms"] for row in rows if row["lag_ms"] is not None] or [0.0]
    total = max(1, len(rows))
    return {"pause": pause, "reads": len(ids), "stored": len(rows),
            "lag_p50": percentile(lags, 0.5), "lag_p99": percentile(lags, 0.99),
            "match": outcomes["match"] / total, "ignored": outcomes["ignored"] / total,
            "mismatch": outcomes["mismatch"] / total,
            "other": (len(rows) - outcomes["match"] - outcomes["ignored"]
                      - outcomes["mismatch"]) / total}


def run() -> str:
    """Run the drift benchmark; return its Markdown report."""
    work = Path(tempfile.mkdtemp(prefix="bench-drift-"))
    factory = DatabaseFactory(work)
    database = factory.create("postgresql")
    servers: list[ServerProcess] = []
    env = queue_env()
    writer: Writer | None = None
    results: list[dict[str, float]] = []
    try:
        legacy = legacy_process(database, work).start()
        servers.append(legacy)
        seed(legacy.url, articles=SLUGS)
        with httpx.Client(base_url=legacy.url, timeout=10) as client:
            token = client.post("/api/users/login", json={"user": {
                "email": "bench@example.com", "password": "bench-password"}}).json()["user"][
                "token"]
            slugs = [a["slug"] for a in client.get(f"/api/articles?limit={SLUGS}").json()[
                "articles"]]
        routes_file = work / "routes.yaml"
        routes_file.write_text(routes.routes_yaml(shadow={"sample": 1.0},
                                                  routes={ROUTE: {"shadow": "flask"}}))
        metrics = work / "metrics"
        metrics.mkdir()
        proxy = proxy_process(routes_file, database, work, metrics, LEGACY_URL=legacy.url,
                              WEB_CONCURRENCY="1", **env).start()
        servers.append(proxy)
        worker = worker_process(database, work, nice=10, concurrency=2,
                                ROUTES_FILE=str(routes_file), LEGACY_URL=legacy.url,
                                **env).start()
        servers.append(worker)
        writer = Writer(legacy.url, token, slugs)
        writer.start()
        for pause in PAUSES:
            results.append(band(proxy.url, worker, database, slugs, pause))
            print(f"drift, worker held {pause:g} s: {results[-1]}", flush=True)
    finally:
        if writer is not None:
            writer.stop.set()
            writer.join(10)
        for server in reversed(servers):
            if server.proc is not None and server.proc.poll() is None:
                os.kill(server.proc.pid, signal.SIGCONT)  # a held worker must hear SIGTERM
            server.stop()
        drop_stream(env)
        factory.drop_all()
    lines = ["| worker held after each burst | reads | compared | lag p50 / p99 ms | match |"
             " ignored (drift excused) | mismatch | other |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['pause']:g} s | {r['reads']:.0f} | {r['stored']:.0f} |"
              f" {r['lag_p50']:,.0f} / {r['lag_p99']:,.0f} | {r['match']:.1%} |"
              f" {r['ignored']:.1%} | {r['mismatch']:.1%} | {r['other']:.1%} |"
              for r in results]
    writes = writer.writes if writer else 0
    failures = writer.failures if writer else 0
    host = machine.describe("nginx", "wrk")
    return (f"Machine: {host}\n\nDrift: {ROUTE} shadowed at 100% through the"
            f" queue (1 worker at nice 10, concurrency 2) while {SLUGS} articles are rewritten"
            f" at {WRITE_RATE:g}/s straight to legacy ({writes} writes, {failures} failed);"
            f" reads in bursts of {BURST} over about 0.5 s, {READS} per band; 1-minute load"
            f" average {os.getloadavg()[0]:.1f} at the end.\n\n" + "\n".join(lines))


def main() -> None:
    report = run()
    artifacts = Path(__file__).resolve().parents[1] / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "bench_drift.md").write_text(report + "\n")
    print("\n" + report + "\n")


if __name__ == "__main__":
    main()
