"""The shadow tests' route tables, the parity store they read, and the strangler CLI."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from shadow import engine_from_url, schema
from tests.support import routes
from tests.support.processes import REPO_ROOT


def shadowed_routes(timeout: float = 5.0, dry_run: bool = True) -> str:
    """Return a routes.yaml with every operation legacy-served and Flask-compared (writes as
    dry-runs unless ``dry_run`` is false)."""
    return routes.dump(routes.shadowed(timeout, dry_run))


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
