"""Real proxy processes (gunicorn, deploy/gunicorn.conf.py) in front of real upstreams."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from proxy import edge
from tests.performance.proxy.tools import require
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess, free_port, proxy_process
from tests.support.upstream import Upstream

StartProxy = Callable[..., ServerProcess]


@pytest.fixture(scope="session")
def start_proxy(
    artifacts_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StartProxy]:
    """Start a proxy: ``start_proxy(routes_file, database_url, LEGACY_URL=..., **env)``."""
    started: list[ServerProcess] = []

    def start(routes_file: Path, database_url: str, **env: str) -> ServerProcess:
        metrics_dir = tmp_path_factory.mktemp("metrics")
        server = proxy_process(routes_file, database_url, artifacts_dir, metrics_dir, **env)
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def start_edge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ServerProcess]]:
    """Start nginx (the rendered edge, every request proxied: proxy.edge) in front of a proxy.

    nginx runs as a process of the test (own prefix, free port), never the system service;
    it is installed with apt-get when missing (as root).
    """
    nginx = require("nginx")["nginx"]
    started: list[ServerProcess] = []

    def start(proxy: ServerProcess, **settings: object) -> ServerProcess:
        port = free_port()
        prefix = tmp_path_factory.mktemp("nginx")
        config = edge.render(f"127.0.0.1:{port}", f"127.0.0.1:{proxy.port}", prefix,
                             workers=1, **settings)
        server = ServerProcess("nginx", edge.command(nginx, config), port=port,
                               ready_path="/health/live", log_dir=prefix)
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def sqlite_database(databases: DatabaseFactory) -> str:
    """One migrated SQLite database for proxies that only need /health to find one."""
    return databases.create("sqlite")


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    """The threaded edge-case upstream (echo, slow, stream, redirect, gzip, hop)."""
    server = Upstream().start()
    yield server
    server.stop()
