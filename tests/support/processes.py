"""Real server processes on loopback: the Node legacy service, the backend and the proxy.

The proxy has one launcher, :func:`proxy_process`: gunicorn with deploy/gunicorn.conf.py, as
``make proxy`` and the proxy image run it; tests change only its environment.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"  # kept after a run: logs, reports, screenshots
TEST_JWT_SECRET = "test-secret-shared-by-legacy-and-flask"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """A server started as a child process, ready once ``ready_path`` answers over HTTP."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        port: int,
        env: Mapping[str, str] | None = None,
        ready_path: str = "/",
        log_dir: Path,
        cwd: Path = REPO_ROOT,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.port = port
        self.env = {**os.environ, **(env or {})}
        self.ready_path = ready_path
        self.log_path = log_dir / f"{name}-{port}.log"
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        log = open(self.log_path, "ab")  # noqa: SIM115  (owned by the child until stop)
        self.proc = subprocess.Popen(
            self.argv, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log()}")
            try:
                httpx.get(self.url + self.ready_path, timeout=1.0)
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout}s:\n{self.log()}")

    def stop(self, timeout: float = 10.0) -> int | None:
        """Send SIGTERM, wait for a clean exit (SIGKILL after ``timeout``), return the code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError(f"{self.name} ignored SIGTERM for {timeout}s") from None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-5000:]
        except FileNotFoundError:
            return ""


def legacy_process(database_url: str, log_dir: Path, **env: str) -> ServerProcess:
    """Return (not started) the Node legacy service on a free port against ``database_url``."""
    port = free_port()
    return ServerProcess(
        "legacy",
        ["node", str(REPO_ROOT / "legacy" / "src" / "server.js")],
        port=port,
        env={
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "DATABASE_URL": database_url,
            "JWT_SECRET": TEST_JWT_SECRET,
            **env,
        },
        ready_path="/api/tags",
        log_dir=log_dir,
    )


BACKEND_GUNICORN_CONFIG = REPO_ROOT / "deploy" / "backend.gunicorn.conf.py"


def backend_process(database_url: str, log_dir: Path, **env: str) -> ServerProcess:
    """Return (not started) the Flask backend alone, as deployed (its gunicorn settings)."""
    port = free_port()
    return ServerProcess(
        "backend",
        [sys.executable, "-m", "gunicorn", "-c", str(BACKEND_GUNICORN_CONFIG),
         "--bind", f"127.0.0.1:{port}", "backend.wsgi:app"],
        port=port,
        env={"DATABASE_URL": database_url, "JWT_SECRET": TEST_JWT_SECRET, **env},
        ready_path="/api/tags",
        log_dir=log_dir,
    )


PROXY_GUNICORN_CONFIG = REPO_ROOT / "deploy" / "gunicorn.conf.py"


def proxy_process(
    routes_file: Path, database_url: str, log_dir: Path, metrics_dir: Path, *,
    app: str = "rollout.wsgi:app", name: str = "proxy", root: Path = REPO_ROOT, **env: str
) -> ServerProcess:
    """Return (not started) the proxy exactly as ``make proxy`` runs it, on a free port.

    ``gunicorn -c deploy/gunicorn.conf.py rollout.wsgi:app``; ``env`` overrides its settings
    (WEB_CONCURRENCY, GUNICORN_THREADS, GUNICORN_WORKER_CLASS, LEGACY_URL, ...). ``app`` names
    another WSGI app built on the proxy (tests/integration/shadow_proxy/altered.py). ``root``
    runs a copy of the tree instead (its config, its code first on the path: tests/mutants).
    """
    port = free_port()
    if root != REPO_ROOT:
        env = {"PYTHONPATH": str(root), **env}
    return ServerProcess(
        name,
        [sys.executable, "-m", "gunicorn", "-c",
         str(root / PROXY_GUNICORN_CONFIG.relative_to(REPO_ROOT)), app],
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
        cwd=root,
    )


def worker_pids(server: ServerProcess) -> list[int]:
    """Return the pids of the gunicorn workers under ``server``'s master process."""
    assert server.proc is not None
    children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children").read_text()
    return [int(pid) for pid in children.split()]


def rss_kib(pid: int) -> int:
    """Return a process's resident memory in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")
