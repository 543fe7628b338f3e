"""The import graph: no cycle, and the dependency direction of pyproject's contracts holds.

rollout (control plane) -> proxy (request path) -> shadow, backend; backend imports none of
the tooling; shadow imports neither the proxy nor Flask. The contracts live in pyproject.toml
([tool.importlinter]); ``make test`` also runs ``lint-imports`` directly.
"""

from __future__ import annotations

import os
import subprocess
import sys

from backend.database import REPO_ROOT


def test_the_import_contracts_hold() -> None:
    lint_imports = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    done = subprocess.run([lint_imports, "--no-cache"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout
    assert "4 kept" in done.stdout  # every contract was checked, none silently dropped
