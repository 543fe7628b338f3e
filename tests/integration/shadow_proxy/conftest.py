"""A shadowing proxy (the production gunicorn settings, one worker) in front of real legacy."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import ServerProcess, proxy_process
from tests.support.shadow_queue import drop_stream, queue_env, worker_process


@pytest.fixture
def start_shadow_proxy(
    artifacts_dir: Path, tmp_path: Path
) -> Iterator[Callable[..., ServerProcess]]:
    """Start ``start_shadow_proxy(routes_text, db_url, legacy_url, app=..., worker_class=...)``:
    one gunicorn worker, deploy/gunicorn.conf.py's worker class unless ``worker_class``."""
    started: list[ServerProcess] = []

    def start(routes_text: str, database_url: str, legacy_url: str,
              app: str = "rollout.wsgi:app", worker_class: str | None = None,
              **env: str) -> ServerProcess:
        routes_file = tmp_path / f"routes-{len(started)}.yaml"
        routes_file.write_text(routes_text)
        metrics = tmp_path / f"metrics-{len(started)}"
        metrics.mkdir()
        if worker_class is not None:
            env["GUNICORN_WORKER_CLASS"] = worker_class
        server = proxy_process(routes_file, database_url, artifacts_dir, metrics, app=app,
                               name="shadow-proxy", LEGACY_URL=legacy_url, WEB_CONCURRENCY="1",
                               **env).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
    for server in started:  # after the stop: a running publisher would make it again
        if "SHADOW_QUEUE_STREAM" in server.env:
            drop_stream(server.env)


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


@pytest.fixture(params=["in-process", "queued"])
def shadow_path(request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    """Run the test on each shadow path: the environment a proxy needs for it ({}: the
    in-process Mirror; else a stream of its own on the shared Redis, see ``start_worker``)."""
    if request.param == "in-process":
        yield {}
        return
    env = queue_env()
    yield env
    drop_stream(env)


@pytest.fixture
def start_worker(artifacts_dir: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start ``start_worker(proxy, app=..., concurrency=..., claim_idle=...)``: a shadow worker
    on the proxy's stream, route table, legacy and database (a no-op without a queue)."""
    started: list[ServerProcess] = []

    def start(proxy: ServerProcess, **options: object) -> ServerProcess | None:
        env = {name: value for name, value in proxy.env.items()
               if name.startswith("SHADOW_") or name in ("ROUTES_FILE", "LEGACY_URL")}
        if "SHADOW_QUEUE_URL" not in env:
            return None
        worker = worker_process(proxy.env["DATABASE_URL"], artifacts_dir,
                                **options, **env).start()  # type: ignore[arg-type]
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    for worker in started:
        drop_stream(worker.env)
