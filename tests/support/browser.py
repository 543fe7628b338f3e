"""The browser tests' stack: headless Chromium's settings, the accounts' password, the route
table, and the running processes (started by tests/integration/dashboard/conftest.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ServerProcess

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery"


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's chromium, driven by Playwright (never ``playwright install``); skips the test
    when it is missing."""
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        pytest.skip(f"{CHROMIUM} missing: run tools/ensure-chromium (as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()

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


def log_in(page, stack: Stack, username: str) -> None:
    """Log ``username`` in through the dashboard's form, in a Playwright ``page``."""
    page.goto(stack.dashboard + "/")
    assert "/_strangler/login" in page.url  # anonymous: sent to the login form
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(stack.dashboard + "/")
