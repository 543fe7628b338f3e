"""The RealWorld Postman suite (tools/conformance, newman) passes against the backend alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.conformance import assert_postman_passes
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess

pytestmark = [pytest.mark.postgres]


def test_postman_suite_passes_against_the_backend(
    database_kind: str,
    databases: DatabaseFactory,
    start_backend: Callable[..., ServerProcess],
) -> None:
    server = start_backend(databases.create(database_kind))
    try:
        assert_postman_passes(server.url + "/api")
    finally:
        assert server.stop() == 0
