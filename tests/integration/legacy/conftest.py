"""One legacy process on a fresh PostgreSQL database per test module."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.integration.legacy.conduit import Conduit, User
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess


@pytest.fixture(scope="module")
def legacy_database(databases: DatabaseFactory) -> str:
    """Return the URL of a fresh migrated PostgreSQL database for this module."""
    return databases.create("postgresql")


@pytest.fixture(scope="module")
def legacy(
    legacy_database: str, start_legacy: Callable[..., ServerProcess]
) -> Iterator[ServerProcess]:
    """Run the Node legacy service on the module's database."""
    server = start_legacy(legacy_database)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def conduit(legacy: ServerProcess) -> Iterator[Conduit]:
    """Return a client of the module's legacy service."""
    with httpx.Client(base_url=legacy.url, timeout=10.0) as client:
        yield Conduit(client)


@pytest.fixture
def alice(conduit: Conduit) -> User:
    """A freshly registered user."""
    return conduit.register("alice")


@pytest.fixture
def bob(conduit: Conduit) -> User:
    """Another freshly registered user."""
    return conduit.register("bob")
