"""Start the backend under gunicorn: ``start_backend(database_url, **env)``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.processes import ServerProcess, backend_process


@pytest.fixture(scope="session")
def start_backend(artifacts_dir: Path) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def start(database_url: str, **env: str) -> ServerProcess:
        server = backend_process(database_url, artifacts_dir, **env).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
