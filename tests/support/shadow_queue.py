"""The queued shadow path in tests: Redis servers, the queue's settings and shadow workers.

The queued path uses the shared Redis (``STRANGLER_TEST_REDIS_URL``, default
redis://127.0.0.1:6379/1) with one stream key per test, deleted afterwards; the fault tests
start a private ``redis-server`` on a free port (they stop and restart it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import redis

from shadow.queue import Sealer
from tests.support.processes import REPO_ROOT, TEST_JWT_SECRET, ServerProcess, free_port

SHARED_REDIS = os.environ.get("STRANGLER_TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
WORKER_APP = "rollout.wsgi:app"


def queue_env(url: str = SHARED_REDIS, **extra: str) -> dict[str, str]:
    """Return the environment of a proxy or worker on a new stream (its own key and name)."""
    return {"SHADOW_QUEUE_URL": url, "SHADOW_QUEUE_KEY": Sealer.new_key(),
            "SHADOW_QUEUE_STREAM": f"test:shadow:{uuid.uuid4().hex[:12]}", **extra}


def drop_stream(env: dict[str, str]) -> None:
    try:
        client = redis.Redis.from_url(env["SHADOW_QUEUE_URL"], socket_timeout=2)
        client.delete(env["SHADOW_QUEUE_STREAM"])
        client.close()
    except redis.RedisError:
        pass


class RedisServer:
    """A private redis-server on a free loopback port (no persistence), stopped after use."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.log_path = log_dir / f"redis-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        log = open(self.log_path, "ab")  # noqa: SIM115  (owned by the child until stop)
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no"], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"redis-server on {self.port} did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def worker_process(database_url: str, log_dir: Path, *, app: str = WORKER_APP,
                   concurrency: int = 2, claim_idle: float = 30.0, name: str = "shadow-worker",
                   nice: int | None = None, **env: str) -> ServerProcess:
    """Return (not started) a shadow worker (``python -m proxy.shadow_worker``) on a free port
    (``nice``: at that lower CPU priority, as beside a proxy on one machine)."""
    port = free_port()
    prefix = ["nice", "-n", str(nice)] if nice is not None else []
    return ServerProcess(
        name,
        [*prefix, sys.executable, "-m", "proxy.shadow_worker", "--app", app, "--port", str(port),
         "--concurrency", str(concurrency), "--claim-idle", str(claim_idle)],
        port=port,
        env={"DATABASE_URL": database_url, "JWT_SECRET": TEST_JWT_SECRET, **env},
        ready_path="/health/live",
        log_dir=log_dir,
        cwd=REPO_ROOT,
    )
