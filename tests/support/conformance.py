"""The RealWorld Postman suite (tools/conformance, newman) as a test assertion."""

from __future__ import annotations

import re
import subprocess

from tests.support.processes import REPO_ROOT

TOTALS = re.compile(r"^conformance: (\d+)/(\d+) assertions passed, (\d+) failed", re.MULTILINE)
MINIMUM_ASSERTIONS = 300  # the collection has about 311; fewer means requests went missing


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


def assert_postman_passes(api_url: str) -> None:
    """Run the collection against ``api_url``; fail unless every assertion of it passed."""
    result = run_conformance(api_url)
    totals = TOTALS.search(result.stdout)
    assert totals, result.stdout[-3000:] + result.stderr[-2000:]
    passed, total, failed = (int(n) for n in totals.groups())
    assert (failed, result.returncode) == (0, 0), result.stdout[-3000:]
    assert total >= MINIMUM_ASSERTIONS
    assert passed == total
