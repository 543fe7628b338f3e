"""The shadow tests' route tables, the parity store they read, and the strangler CLI."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from shadow import engine_from_url, schema
from tests.support.processes import REPO_ROOT

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


def strangler(database_url: str, *args: str, routes_file: Path | None = None
              ) -> subprocess.CompletedProcess[str]:
    """Run the strangler CLI on ``database_url``."""
    env = {"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"}
    if routes_file is not None:
        env["ROUTES_FILE"] = str(routes_file)
    command = str(Path(sys.executable).parent / "strangler")
    return subprocess.run([command, *args], capture_output=True,
                          text=True, env=env, cwd=REPO_ROOT, timeout=60, check=False)
