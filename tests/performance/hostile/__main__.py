"""Run the hostile-client and fault scenarios against real processes: ``make hostile``.

Legacy (Node, SQLite), the proxy as deploy/gunicorn.conf.py runs it by default (2 x cores
workers x 16 threads, the IntakeWorker), and the same proxy behind nginx
(proxy/edge_routes.py). Every scenario prints one line with its figure; the lines,
with the machine, go to tests/artifacts/hostile.md. HOSTILE_SECONDS (30) is how long the
slow crowd is held, HOSTILE_CROWD (500) its size, HOSTILE_ONLY (all) a comma-separated list
of scenario names to run, HOSTILE_BEFORE=1 also holds the slow crowd against the proxy on
gunicorn's plain gthread worker (what the issue saw). Not part of ``make test``.
"""

from __future__ import annotations

import os
import platform
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from backend.database import REPO_ROOT
from proxy import edge
from tests.performance.hostile import checks
from tests.performance.hostile.crowd import InChild, Probe, hold_crowd, wait_on
from tests.performance.proxy.machine import describe
from tests.performance.proxy.tools import require
from tests.support import routes
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess, free_port, legacy_process, proxy_process

SECONDS = float(os.environ.get("HOSTILE_SECONDS", "30"))
CROWD = int(os.environ.get("HOSTILE_CROWD", "500"))
WAITERS = 80
BEFORE = os.environ.get("HOSTILE_BEFORE") == "1"  # also run the slow crowd on plain gthread
PROBED = ("/api/tags", "/health")  # GET /api/tags is served by Flask in these runs
OUT = REPO_ROOT / "tests" / "artifacts" / "hostile.md"


class Stack:
    """Legacy, the proxy on its own, and nginx in front of a second proxy."""

    def __init__(self, workdir: Path, nginx: str) -> None:
        self.workdir = workdir
        (workdir / "databases").mkdir()
        self.databases = DatabaseFactory(workdir / "databases")
        self.database = self.databases.create("sqlite")
        self.routes = workdir / "routes.yaml"
        tags_on_flask = {"GET /api/tags": {"serve": "flask"}}
        self.routes.write_text(routes.routes_yaml(routes=tags_on_flask))
        self.shadowed_routes = workdir / "shadowed.yaml"
        self.shadowed_routes.write_text(routes.routes_yaml(
            routes={**tags_on_flask, "GET /api/articles": {"shadow": "flask"}}))
        self.baselines: dict[str, Probe] = {}
        self.legacy = legacy_process(self.database, workdir).start()
        checks.seed(self.legacy.url)
        self.plain = self._proxy()
        self.behind = self._proxy(FORWARDED_ALLOW_IPS="127.0.0.1")
        # The worker gunicorn ships, without the intake: what the slow crowd did before.
        self.gthread = self._proxy(GUNICORN_WORKER_CLASS="gthread") if BEFORE else None
        port = free_port()
        config = edge.render(f"127.0.0.1:{port}", f"127.0.0.1:{self.behind.port}",
                             workdir / "nginx", per_client=4 * CROWD)
        self.nginx = ServerProcess("nginx", edge.command(nginx, config), port=port,
                                   ready_path="/health/live", log_dir=workdir).start()

    def _proxy(self, **env: str) -> ServerProcess:
        metrics = Path(tempfile.mkdtemp(dir=self.workdir, prefix="metrics-"))
        settings = {"LEGACY_URL": self.legacy.url, "WEB_CONCURRENCY": str(2 * (os.cpu_count()
                                                                                or 1)),
                    "GUNICORN_THREADS": "16", **env}
        database = settings.pop("DATABASE_URL", self.database)
        routes_file = Path(settings.pop("ROUTES_FILE", self.routes))
        return proxy_process(routes_file, database, self.workdir, metrics,
                             **settings).start(timeout=60)

    def extra_proxy(self, **env: str) -> ServerProcess:
        """Start one more proxy with other settings (the caller stops it)."""
        return self._proxy(**env)

    @property
    def topologies(self) -> dict[str, ServerProcess]:
        return {"proxy": self.plain, "nginx+proxy": self.nginx}

    def stop(self) -> None:
        for server in (self.nginx, self.behind, self.plain, self.gthread, self.legacy):
            if server is None:
                continue
            try:
                server.stop()
            except RuntimeError as error:
                print(f"hostile: {error}", file=sys.stderr)
        self.databases.drop_all()


def baseline(stack: Stack, name: str, front: ServerProcess) -> str:
    """The probe alone, same paths, same pace: what the figures under attack compare with."""
    probe = Probe(front.port, PROBED).run(min(SECONDS, 10))
    stack.baselines[name] = probe
    return (f"baseline [{name}], nothing hostile: GET /api/tags: {probe.summary('/api/tags')}; "
            f"/health: {probe.summary('/health')}")


def slow_crowd(stack: Stack, name: str, front: ServerProcess) -> str:
    """CROWD slow or idle connections held SECONDS while a probe asks every 100 ms."""
    with InChild(hold_crowd, front.port, CROWD) as crowd:
        time.sleep(2)  # the crowd is in place
        probe = Probe(front.port, PROBED).run(SECONDS)
    held = not any(probe.failures.values()) and max(map(probe.p99, PROBED)) < 100
    return (f"slow clients [{name}]: {CROWD} slow/idle connections held {SECONDS:.0f} s "
            f"({crowd.result['opened']} opened, {crowd.result['cut']} cut by the server and "
            f"reopened); GET /api/tags: {probe.summary('/api/tags')}; /health: "
            f"{probe.summary('/health')}; p99 vs baseline x{_ratio(stack, name, probe)} -> "
            f"{'held' if held else 'NOT HELD'} (target: 0 failed, p99 < 100 ms)")


def stopped_legacy(stack: Stack, name: str, front: ServerProcess) -> str:
    """Legacy SIGSTOPped with WAITERS clients on a legacy route; the Flask route is probed."""
    assert stack.legacy.proc is not None
    os.kill(stack.legacy.proc.pid, signal.SIGSTOP)
    try:
        with InChild(wait_on, front.url, "/api/articles", WAITERS) as waiters:
            time.sleep(2)
            probe = Probe(front.port, PROBED, healthy=(200, 503)).run(min(SECONDS, 20))
            os.kill(stack.legacy.proc.pid, signal.SIGCONT)
    finally:
        os.kill(stack.legacy.proc.pid, signal.SIGCONT)
    held = not any(probe.failures.values()) and probe.p99("/api/tags") < 100
    return (f"legacy SIGSTOPped [{name}]: {WAITERS} clients on GET /api/articles (0.5 s pause "
            f"after each answer) got {waiters.result['statuses']}; Flask route GET /api/tags: "
            f"{probe.summary('/api/tags')}; /health (503 while legacy is stopped is its answer):"
            f" {probe.summary('/health')}; p99 vs baseline x{_ratio(stack, name, probe)} -> "
            f"{'held' if held else 'NOT HELD'} (target: p99 < 100 ms)")


def _ratio(stack: Stack, name: str, probe: Probe) -> str:
    base = stack.baselines.get(name)
    if base is None:
        return "?"
    return f"{probe.p99('/api/tags') / max(base.p99('/api/tags'), 0.001):.1f}"


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("hostile: stopped"))  # clean up first
    nginx = require("nginx")["nginx"]
    load_before = os.getloadavg()
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="strangler-hostile-") as tmp:
        stack = Stack(Path(tmp), nginx)
        try:
            scenarios: list[Callable[[Stack, str, ServerProcess], str]] = [
                baseline, checks.desync, slow_crowd, stopped_legacy]
            only = os.environ.get("HOSTILE_ONLY")  # e.g. "baseline,slow_crowd" while iterating
            for scenario in scenarios:
                if only and scenario.__name__ not in only.split(","):
                    continue
                for name, front in stack.topologies.items():
                    lines.append(scenario(stack, name, front))
                    print(lines[-1], flush=True)
            if stack.gthread is not None and (not only or "slow_crowd" in only):
                lines.append(slow_crowd(stack, "proxy on plain gthread, before",
                                        stack.gthread))
                print(lines[-1], flush=True)
            for check in checks.SINGLE:
                if only and check.__name__ not in only.split(","):
                    continue
                lines.append(check(stack))
                print(lines[-1], flush=True)
        finally:
            stack.stop()
    machine = describe(nginx, "true")
    header = (f"Machine: {machine.rsplit(',', 1)[0]}; 1-minute load average "
              f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after; "
              f"{platform.node()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.")
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(header + "\n\n" + "\n".join(f"- {line}" for line in lines) + "\n")
    print(header)


if __name__ == "__main__":
    main()
