"""The RealWorld Postman suite (tools/conformance, newman) passes against the backend alone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integration.legacy.test_conformance import TOTALS, run_conformance
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
        result = run_conformance(server.url + "/api")
    finally:
        assert server.stop() == 0
    totals = TOTALS.search(result.stdout)
    assert totals, result.stdout[-3000:] + result.stderr[-2000:]
    passed, total, failed = (int(n) for n in totals.groups())
    assert failed == 0, result.stdout[-3000:]
    assert total >= 300
    assert passed == total
    assert result.returncode == 0
