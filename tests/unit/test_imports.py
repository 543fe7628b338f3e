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
    assert "5 kept" in done.stdout  # every contract was checked, none silently dropped


def test_the_backend_metadata_holds_only_its_own_tables() -> None:
    import backend.models  # noqa: F401
    import rollout.dashboard.models  # noqa: F401
    import rollout.models  # noqa: F401
    from backend.database import db
    from rollout.database import TOOLING_METADATA

    backend_tables = set(db.metadata.tables)
    tooling_tables = {name for metadata in TOOLING_METADATA for name in metadata.tables}
    assert backend_tables == {"users", "follows", "articles", "tags", "article_tags",
                              "favorites", "comments"}
    assert {"route_changes", "dashboard_users", "parity_comparisons"} <= tooling_tables
    assert not backend_tables & tooling_tables
