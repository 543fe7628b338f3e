"""The RealWorld Postman suite (tools/conformance, newman) passes against legacy."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable

import pytest

from tests.support.databases import DatabaseFactory
from tests.support.processes import REPO_ROOT, ServerProcess

pytestmark = [pytest.mark.legacy, pytest.mark.postgres]

TOTALS = re.compile(r"^conformance: (\d+)/(\d+) assertions passed, (\d+) failed", re.MULTILINE)


def run_conformance(api_url: str) -> subprocess.CompletedProcess[str]:
    """Run tools/conformance against ``api_url`` and return the finished process."""
    return subprocess.run(
        [str(REPO_ROOT / "tools" / "conformance"), api_url],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=REPO_ROOT,
        check=False,
    )


def test_postman_suite_passes(
    database_kind: str,
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
) -> None:
    server = start_legacy(databases.create(database_kind))
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


def test_conformance_fails_when_nothing_answers() -> None:
    # Port 9 (discard) on loopback: every request fails, so no assertion may count as passed.
    result = run_conformance("http://127.0.0.1:9/api")
    assert result.returncode != 0
    totals = TOTALS.search(result.stdout)
    assert totals, result.stdout[-2000:]
    assert int(totals.group(1)) == 0
    assert int(totals.group(3)) > 0
