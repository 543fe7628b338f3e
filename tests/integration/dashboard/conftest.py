"""The real stack for the browser tests: legacy (Node) and the proxy under gunicorn (with the
Flask backend in-process), one PostgreSQL database, accounts made with the real CLI, and
headless Chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import ServerProcess, gunicorn_process

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery"
ROUTES = """\
# The browser tests' route table: comments must survive flips made in the dashboard.
legacy:
  url: http://127.0.0.1:9            # LEGACY_URL overrides
routes:
  - route: GET /api/tags             # first to move
    serve: legacy
    shadow: flask
  - route: GET /api/articles
    serve: legacy
    shadow: flask
  - route: GET /api/articles/:slug
    serve: legacy
    shadow: flask
  - route: GET /api/profiles/:username
    serve: legacy
    shadow: flask
"""


@dataclass
class Stack:
    database_url: str
    routes_file: Path
    legacy: ServerProcess
    proxy: ServerProcess

    @property
    def dashboard(self) -> str:
        return self.proxy.url + "/_strangler"


def strangler(*args: str, database_url: str, stdin: str = "") -> subprocess.CompletedProcess:
    """Run the real ``strangler`` console script."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "strangler"), *args], input=stdin, text=True,
        env={**os.environ, "DATABASE_URL": database_url}, capture_output=True, timeout=60,
        check=True,
    )


@pytest.fixture(scope="module")
def stack(databases, start_legacy, artifacts_dir, tmp_path_factory) -> Iterator[Stack]:
    url = databases.create("postgresql")
    routes_file = tmp_path_factory.mktemp("dashboard") / "routes.yaml"
    routes_file.write_text(ROUTES)
    for name, role in (("otto", "operator"), ("vera", "viewer")):
        strangler("users", "create", name, "--role", role, "--password-stdin",
                  database_url=url, stdin=PASSWORD + "\n")
    legacy = start_legacy(url)
    proxy = gunicorn_process(
        "proxy", "rollout.wsgi:app", url, artifacts_dir, ready_path="/health",
        LEGACY_URL=legacy.url, ROUTES_FILE=str(routes_file),
        STRANGLER_SECRET_KEY="browser-tests-key", STRANGLER_READY_COMPARISONS="10",
    )
    proxy.argv[3:3] = ["--workers", "2"]  # the session and the limiter must hold across workers
    proxy.start()
    try:
        yield Stack(url, routes_file, legacy, proxy)
    finally:
        proxy.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, driven by Playwright (never ``playwright install``)."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(f"{CHROMIUM} missing: run tools/ensure-chromium (as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
