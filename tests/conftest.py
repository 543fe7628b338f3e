"""Fixtures shared by every suite: fresh databases and real processes, cleaned up after."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.databases import DatabaseFactory
from tests.support.processes import ARTIFACTS, ServerProcess, legacy_process


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """A folder kept after the run (logs, reports, screenshots)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    """Create fresh migrated databases: ``databases.create("postgresql" | "sqlite")``."""
    factory = DatabaseFactory(tmp_path_factory.mktemp("databases"))
    yield factory
    factory.drop_all()


@pytest.fixture(params=["postgresql", "sqlite"])
def database_kind(request: pytest.FixtureRequest) -> str:
    """Run the test once on each database the project supports."""
    return request.param


@pytest.fixture(scope="session")
def start_legacy(artifacts_dir: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start the Node legacy service on a database: ``start_legacy(database_url, **env)``."""
    started: list[ServerProcess] = []

    def start(database_url: str, **env: str) -> ServerProcess:
        server = legacy_process(database_url, artifacts_dir, **env).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
