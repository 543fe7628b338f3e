"""Benchmark the Flask backend against legacy, endpoint by endpoint: ``make bench-backend``.

One run, on one fresh PostgreSQL database seeded through the API (users, articles with tags,
favorites, follows), serves the same four operations from legacy (Node, ``cluster`` with
BENCH_WORKERS processes) and from the backend (gunicorn, BENCH_WORKERS gthread workers with
BENCH_THREADS threads each), and measures each with wrk (BENCH_CONNECTIONS connections,
BENCH_LOGIN_CONNECTIONS for the bcrypt-bound login;
BENCH_ROUNDS rounds of BENCH_SECONDS seconds after a 1-second warm-up, sides alternating;
medians kept): requests per second, p50 and p99 latency, and the resident memory of each
worker process afterwards. The Markdown table goes to
stdout, tests/artifacts/bench_backend.md and the backend section of docs/benchmarks.md
(between the bench-backend markers).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

import httpx

from tests.performance.backend import load, memory
from tests.support.databases import DatabaseFactory
from tests.support.processes import REPO_ROOT, TEST_JWT_SECRET, ServerProcess, free_port

WORKERS = int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2)))
THREADS = int(os.environ.get("BENCH_THREADS", "4"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
# Login is bcrypt-bound (tens of ms of CPU each): fewer connections keep it under wrk's timeout.
LOGIN_CONNECTIONS = int(os.environ.get("BENCH_LOGIN_CONNECTIONS", "4"))
USERS, ARTICLES = 20, 200
PASSWORD = "bench-password"
REPORT = REPO_ROOT / "docs" / "benchmarks.md"
START, END = "<!-- bench-backend:start -->", "<!-- bench-backend:end -->"


def seed(url: str) -> tuple[str, str]:
    """Fill the database through the API; return a reader's token and an article's slug."""
    with httpx.Client(base_url=url + "/api", timeout=30) as client:
        tokens = []
        for n in range(USERS):
            user = {"username": f"bench{n}", "email": f"bench{n}@example.com",
                    "password": PASSWORD}
            response = client.post("/users", json={"user": user})
            response.raise_for_status()
            tokens.append(response.json()["user"]["token"])
        slugs = []
        for n in range(ARTICLES):
            article = {"title": f"Benchmark article {n}", "description": "d" * 100,
                       "body": "b" * 2000, "tagList": [f"tag{n % 15}", f"topic{n % 4}", "bench"]}
            response = client.post("/articles", json={"article": article},
                                   headers={"Authorization": f"Token {tokens[n % USERS]}"})
            response.raise_for_status()
            slugs.append(response.json()["article"]["slug"])
            for fan in range(n % 4):
                client.post(f"/articles/{slugs[-1]}/favorite",
                            headers={"Authorization": f"Token {tokens[(n + fan + 1) % USERS]}"})
        for n in range(1, USERS, 2):
            client.post(f"/profiles/bench{n}/follow",
                        headers={"Authorization": f"Token {tokens[0]}"})
    return tokens[0], slugs[len(slugs) // 2]


def servers(database_url: str, log_dir: Path) -> dict[str, ServerProcess]:
    env = {"DATABASE_URL": database_url, "JWT_SECRET": TEST_JWT_SECRET}
    node_port, flask_port = free_port(), free_port()
    node = ServerProcess(
        "legacy-cluster",
        ["node", str(Path(__file__).parent / "backend" / "cluster.js")],
        port=node_port, env={**env, "PORT": str(node_port), "WORKERS": str(WORKERS)},
        ready_path="/api/tags", log_dir=log_dir,
    )
    flask = ServerProcess(
        "backend-gunicorn",
        [sys.executable, "-m", "gunicorn",
         "--bind", f"127.0.0.1:{flask_port}", "--workers", str(WORKERS),
         "--worker-class", "gthread", "--threads", str(THREADS), "backend.wsgi:app"],
        port=flask_port, env=env, ready_path="/api/tags", log_dir=log_dir,
    )
    return {"legacy": node, "flask": flask}


def endpoints(token: str, slug: str) -> list[tuple[str, str, dict[str, str], str | None]]:
    """Return (name, path, headers, POST body) of each measured operation."""
    reader = {"Authorization": f"Token {token}"}
    login = json.dumps({"user": {"email": "bench3@example.com", "password": PASSWORD}})
    return [
        ("GET /api/articles?limit=20", "/api/articles?limit=20", reader, None),
        ("GET /api/articles/:slug", f"/api/articles/{slug}", reader, None),
        ("GET /api/tags", "/api/tags", {}, None),
        ("POST /api/users/login", "/api/users/login", {}, login),
    ]


def measure(wrk: str, running: dict[str, ServerProcess], token: str, slug: str) -> list[dict]:
    """Measure each endpoint in BENCH_ROUNDS rounds, sides alternating, and keep the medians.

    Alternating sides within each endpoint spreads background load (a shared machine) over
    both sides instead of penalising whichever ran during a busy moment.
    """
    rows = []
    for name, path, headers, body in endpoints(token, slug):
        runs: dict[str, list[load.Load]] = {side: [] for side in running}
        for number in range(ROUNDS):
            order = list(running) if number % 2 == 0 else list(reversed(running))
            for side in order:
                connections = LOGIN_CONNECTIONS if body is not None else CONNECTIONS
                result = load.run(wrk, running[side].url + path, connections=connections,
                                  seconds=SECONDS, headers=headers, body=body, warmup=1)
                runs[side].append(result)
                print(f"{name:28} {side:7} {result.rps:9.1f} rps  p50 {result.p50_ms:7.2f} ms"
                      f"  p99 {result.p99_ms:7.2f} ms  errors {result.errors}", flush=True)
        rows.append({"endpoint": name, **{side: median(results)
                                          for side, results in runs.items()}})
    return rows


def median(results: list[load.Load]) -> load.Load:
    """Return the median of each figure over the rounds (errors are summed)."""
    return load.Load(
        rps=statistics.median(result.rps for result in results),
        p50_ms=statistics.median(result.p50_ms for result in results),
        p99_ms=statistics.median(result.p99_ms for result in results),
        errors=sum(result.errors for result in results),
    )


def table(rows: list[dict], rss: dict[str, list[float]]) -> str:
    lines = [
        f"{WORKERS} processes per side (Node `cluster` / gunicorn gthread x{THREADS} threads), "
        f"PostgreSQL, wrk {CONNECTIONS} connections ({LOGIN_CONNECTIONS} for login), "
        f"median of {ROUNDS} rounds of {SECONDS} s "
        f"(sides alternating), {ARTICLES} articles / {USERS} users, "
        f"load average before the run {LOAD_BEFORE}.",
        "",
        "| endpoint | Node rps | Flask rps | Flask/Node | Node p50 / p99 ms "
        "| Flask p50 / p99 ms | errors (N/F) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        node, flask = row["legacy"], row["flask"]
        ratio = flask.rps / node.rps if node.rps else float("nan")
        lines.append(
            f"| {row['endpoint']} | {node.rps:,.0f} | {flask.rps:,.0f} | {ratio:.2f} "
            f"| {node.p50_ms:.1f} / {node.p99_ms:.1f} | {flask.p50_ms:.1f} / {flask.p99_ms:.1f} "
            f"| {node.errors} / {flask.errors} |"
        )
    lines.append("")
    lines.append(
        "RSS per worker process after the run (MiB): Node "
        + ", ".join(f"{value:.0f}" for value in rss["legacy"])
        + "; Flask " + ", ".join(f"{value:.0f}" for value in rss["flask"]) + "."
    )
    return "\n".join(lines)


def write_report(markdown: str) -> None:
    """Replace the benchmark table between the markers of docs/benchmarks.md (if they exist)."""
    text = REPORT.read_text()
    if START not in text or END not in text:
        print("docs/benchmarks.md has no bench-backend markers; table not written there")
        return
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    REPORT.write_text(pattern.sub(lambda _: f"{START}\n{markdown}\n{END}", text, count=1))


LOAD_BEFORE = f"{os.getloadavg()[0]:.1f}"


def main() -> None:
    wrk = load.find_wrk()
    artifacts = REPO_ROOT / "tests" / "artifacts"
    artifacts.mkdir(exist_ok=True)
    factory = DatabaseFactory(Path(tempfile.mkdtemp()))
    try:
        database_url = factory.create("postgresql")
        running = servers(database_url, artifacts)
        for server in running.values():
            server.start()
        try:
            token, slug = seed(running["legacy"].url)
            rows = measure(wrk, running, token, slug)
            rss = {side: memory.worker_rss(server.proc.pid)
                   for side, server in running.items() if server.proc}
        finally:
            for server in running.values():
                server.stop()
    finally:
        factory.drop_all()
    markdown = table(rows, rss)
    print(markdown)
    (artifacts / "bench_backend.md").write_text(markdown + "\n")
    write_report(markdown)


if __name__ == "__main__":
    main()
