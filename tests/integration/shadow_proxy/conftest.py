"""A shadowing proxy (gunicorn, one worker) in front of real legacy, on a fresh database."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from shadow import engine_from_url, schema
from shadow.report import RouteReport, route_reports
from tests.support.processes import REPO_ROOT, ServerProcess, gunicorn_process

WRITES = ("POST /api/users/login", "POST /api/users", "PUT /api/user",
          "POST /api/profiles/:username/follow",
          "DELETE /api/profiles/:username/follow", "POST /api/articles",
          "PUT /api/articles/:slug", "DELETE /api/articles/:slug",
          "POST /api/articles/:slug/comments", "DELETE /api/articles/:slug/comments/:id",
          "POST /api/articles/:slug/favorite", "DELETE /api/articles/:slug/favorite")


def shadowed_routes(timeout: float = 5.0, extra: str = "") -> str:
    """Return routes.yaml with every route legacy-served and Flask-compared (writes dry-run)."""
    text = (REPO_ROOT / "routes.yaml").read_text()
    text = re.sub(r"^  timeout: [\d.]+", f"  timeout: {timeout}", text, flags=re.MULTILINE)

    def entry(match: re.Match[str]) -> str:
        route = match.group(1)
        writes = "\n    writes: dry-run" if route in WRITES else ""
        return f"  - route: {route}\n    serve: legacy\n    shadow: flask{writes}{extra}"

    return re.sub(r"^  - route: (.+)\n    serve: legacy", entry, text, flags=re.MULTILINE)


@pytest.fixture
def start_shadow_proxy(
    artifacts_dir: Path, tmp_path: Path
) -> Iterator[Callable[..., ServerProcess]]:
    """Start ``start_shadow_proxy(routes_text, db_url, legacy_url, app=..., worker_class=...)``
    (one gunicorn worker)."""
    started: list[ServerProcess] = []

    def start(routes_text: str, database_url: str, legacy_url: str,
              app: str = "rollout.wsgi:app", worker_class: str = "gthread",
              **env: str) -> ServerProcess:
        routes_file = tmp_path / f"routes-{len(started)}.yaml"
        routes_file.write_text(routes_text)
        metrics = tmp_path / f"metrics-{len(started)}"
        metrics.mkdir()
        server = gunicorn_process(
            "shadow-proxy", app, database_url, artifacts_dir, ready_path="/health",
            LEGACY_URL=legacy_url, ROUTES_FILE=str(routes_file),
            PROMETHEUS_MULTIPROC_DIR=str(metrics),
            GUNICORN_CMD_ARGS=f"--worker-class {worker_class} --threads 8 --workers 1", **env,
        ).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def http() -> Iterator[Callable[[str], httpx.Client]]:
    """Open HTTP clients on a base URL: ``http(proxy.url)``; closed after the test."""
    clients: list[httpx.Client] = []

    def open_client(base_url: str) -> httpx.Client:
        clients.append(httpx.Client(base_url=base_url, timeout=30))
        return clients[-1]

    yield open_client
    for client in clients:
        client.close()


def comparisons(database_url: str) -> list[dict]:
    """Return every stored comparison, oldest first."""
    engine = engine_from_url(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(schema.comparisons).order_by(
                schema.comparisons.c.id)).mappings().all()
    finally:
        engine.dispose()
    return [dict(row) for row in rows]


def wait_for_comparisons(database_url: str, count: int, limit: float = 20.0) -> list[dict]:
    """Poll the store until it holds at least ``count`` comparisons (or ``limit`` passes)."""
    deadline = time.monotonic() + limit
    while True:
        rows = comparisons(database_url)
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def reports(database_url: str) -> dict[str, RouteReport]:
    engine = engine_from_url(database_url)
    try:
        since = datetime.now(UTC) - timedelta(hours=1)
        return {r.route: r for r in route_reports(engine, since, top=20)}
    finally:
        engine.dispose()


def strangler(database_url: str, *args: str, routes_file: Path | None = None
              ) -> subprocess.CompletedProcess[str]:
    """Run the strangler CLI on ``database_url``."""
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    if routes_file is not None:
        env["ROUTES_FILE"] = str(routes_file)
    command = str(Path(sys.executable).parent / "strangler")
    return subprocess.run([command, *args], capture_output=True,
                          text=True, env=env, cwd=REPO_ROOT, timeout=60, check=False)
