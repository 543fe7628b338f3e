"""The proxy as ``make proxy`` runs it (gunicorn and deploy/gunicorn.conf.py), on a free port."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.support.processes import REPO_ROOT, TEST_JWT_SECRET, ServerProcess, free_port


def proxy_process(
    routes_file: Path, database_url: str, log_dir: Path, metrics_dir: Path, **env: str
) -> ServerProcess:
    """Return (not started) the proxy exactly as ``make proxy`` runs it, on a free port."""
    port = free_port()
    return ServerProcess(
        "proxy",
        [sys.executable, "-m", "gunicorn", "-c", str(REPO_ROOT / "deploy" / "gunicorn.conf.py"),
         "rollout.wsgi:app"],
        port=port,
        env={
            "PORT": str(port),
            "ROUTES_FILE": str(routes_file),
            "DATABASE_URL": database_url,
            "JWT_SECRET": TEST_JWT_SECRET,
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": "8",
            **env,
        },
        ready_path="/health",
        log_dir=log_dir,
    )
