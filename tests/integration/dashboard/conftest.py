"""The real stack for the browser tests: legacy (Node) and the proxy under gunicorn (with the
Flask backend in-process), one PostgreSQL database, accounts made with the real CLI, and
headless Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import PASSWORD, ROUTES, Stack, chromium, strangler
from tests.support.processes import proxy_process
from tests.support.traffic import FLUSH


@pytest.fixture(scope="module")
def stack(databases, start_legacy, artifacts_dir, tmp_path_factory) -> Iterator[Stack]:
    url = databases.create("postgresql")
    routes_file = tmp_path_factory.mktemp("dashboard") / "routes.yaml"
    routes_file.write_text(ROUTES)
    for name, role in (("otto", "operator"), ("vera", "viewer")):
        strangler("users", "create", name, "--role", role, "--password-stdin",
                  database_url=url, stdin=PASSWORD + "\n")
    legacy = start_legacy(url)
    # Two workers (the launcher's default): the session and the limiter must hold across them.
    # The pages' readiness is tested on parity; the latency gate (unit-tested in
    # tests/unit/dashboard) would judge this loaded machine's scheduling, so it is opened wide.
    proxy = proxy_process(
        routes_file, url, artifacts_dir, tmp_path_factory.mktemp("metrics"),
        LEGACY_URL=legacy.url, STRANGLER_SECRET_KEY="browser-tests-key",
        STRANGLER_READY_COMPARISONS="10", STRANGLER_READY_LATENCY_RATIO="1000",
        WEB_CONCURRENCY="2", STRANGLER_TRAFFIC_FLUSH_SECONDS=FLUSH,
    ).start()
    try:
        yield Stack(url, routes_file, legacy, proxy)
    finally:
        proxy.stop()


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, driven by Playwright (never ``playwright install``)."""
    with chromium() as browser:
        yield browser
