"""The RealWorld Postman suite (tools/conformance, newman) passes against legacy."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.conformance import TOTALS, assert_postman_passes, run_conformance
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess

pytestmark = [pytest.mark.legacy, pytest.mark.postgres]


def test_postman_suite_passes(
    database_kind: str,
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
) -> None:
    server = start_legacy(databases.create(database_kind))
    try:
        assert_postman_passes(server.url + "/api")
    finally:
        assert server.stop() == 0


def test_conformance_fails_when_nothing_answers() -> None:
    # Port 9 (discard) on loopback: every request fails, so no assertion may count as passed.
    result = run_conformance("http://127.0.0.1:9/api")
    assert result.returncode != 0
    totals = TOTALS.search(result.stdout)
    assert totals, result.stdout[-2000:]
    assert int(totals.group(1)) == 0
    assert int(totals.group(3)) > 0
