"""Legacy and the backend side by side, each on its own fresh database of the same kind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.comparative.scenario import Scenario
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess, backend_process
from tests.support.sides import Sides


@pytest.fixture(scope="session", params=["postgresql", "sqlite"])
def sides(
    request: pytest.FixtureRequest,
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    artifacts_dir: Path,
) -> Iterator[Sides]:
    """Start legacy and the backend (gunicorn) on two identical fresh databases."""
    kind = request.param
    legacy_database, backend_database = databases.create(kind), databases.create(kind)
    legacy = start_legacy(legacy_database)
    backend = backend_process(backend_database, artifacts_dir).start()
    log = artifacts_dir / f"comparative-{kind}.jsonl"
    log.write_text("")
    yield Sides(kind, legacy, backend, log, legacy_database, backend_database)
    backend.stop()
    legacy.stop()


@pytest.fixture
def scenario(sides: Sides) -> Scenario:
    """A new scenario (its own usernames) on the session's two servers."""
    return Scenario(sides.legacy.url, sides.backend.url, sides.log)
