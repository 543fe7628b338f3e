"""The route commands import only what they use (issue 14: each `strangler` command that needs
neither the backend nor the dashboard answers in well under a second). Checked by what a
fresh interpreter has imported after the command, not by timing it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.database import REPO_ROOT

_RUN = """
import json, sys
from rollout.cli import cli
try:
    cli.main(sys.argv[1:], prog_name="strangler")
except SystemExit as exit:
    assert not exit.code, exit.code
print(json.dumps(sorted(sys.modules)))
"""
# Never needed by a route command: migrations, the dashboard's views, the request path,
# mirroring and its comparison engine, metrics.
NEVER = ["alembic", "flask_migrate", "deepdiff", "rollout.dashboard.views", "proxy.dispatch",
         "proxy.mirroring", "shadow.mirror", "shadow.store", "urllib3", "httpx", "gevent"]
# `routes list` reads one file: no database, no backend, no proxy runtime.
NOT_FOR_READING = [*NEVER, "sqlalchemy", "flask_sqlalchemy", "psycopg", "backend",
                   "proxy.runtime", "prometheus_client", "rollout.dashboard"]
# `routes check` builds the backend alone for its URL map: no database driver, no proxy app.
NOT_FOR_CHECKING = [*NEVER, "psycopg", "proxy.runtime", "prometheus_client",
                    "rollout.dashboard", "rollout.models"]
# `routes set` writes the file and the audit row: the database, the backend's URL map.
NOT_FOR_FLIPPING = [*NEVER, "rollout.dashboard"]


def imported(tmp_path: Path, *command: str) -> set[str]:
    routes = tmp_path / "routes.yaml"
    if not routes.exists():
        routes.write_text((REPO_ROOT / "routes.yaml").read_text())
    env = {**os.environ, "ROUTES_FILE": str(routes),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'strangler.db'}"}
    done = subprocess.run([sys.executable, "-c", _RUN, *command], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def loaded(modules: set[str], names: list[str]) -> list[str]:
    return [name for name in names
            if name in modules or any(m.startswith(name + ".") for m in modules)]


@pytest.mark.parametrize(("command", "unwanted"), [
    (("routes", "list"), NOT_FOR_READING),
    (("routes", "list", "--json"), NOT_FOR_READING),
    (("routes", "check"), NOT_FOR_CHECKING),
    (("routes", "check", "--without-legacy"), NOT_FOR_CHECKING),
])
def test_reading_commands_import_only_what_they_use(tmp_path: Path, command, unwanted) -> None:
    if command[-1] == "--without-legacy":
        routes = tmp_path / "routes.yaml"
        routes.write_text("default: flask\nroutes: []\n")
    assert loaded(imported(tmp_path, *command), unwanted) == []


def test_a_flip_imports_only_what_it_uses(tmp_path: Path, databases) -> None:
    from tests.support.databases import migrate

    migrate(f"sqlite:///{tmp_path / 'strangler.db'}")
    modules = imported(tmp_path, "routes", "set", "GET /api/tags", "shadow", "--actor", "t")
    assert loaded(modules, NOT_FOR_FLIPPING) == []
    assert "ruamel.yaml" in modules and "backend" in modules  # it did write and validate
