"""The monitoring stack as an operator runs it: Debian's Prometheus (1 s scrapes, the alerting
rules of deploy/) scraping a real proxy under gunicorn (deploy/gunicorn.conf.py, two workers,
multiprocess metrics) in front of real legacy, on a fresh PostgreSQL database.

The proxy's Flask backend is the real one, made to misbehave per request with
``X-Test-Alter`` (tests/integration/shadow_proxy/altered.py) so that known mismatches,
candidate errors and timeouts can be driven. The ground truth the figures are checked
against never comes from Prometheus: the parity store (``strangler parity report``), the
dashboard's JSON, the proxy's own access log and what the test sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.monitored_stack import (
    PASSWORD,
    ROUTES,
    SLUG_ROUTE,
    Stack,
    drive_known_traffic,
    rewrite,
    strangler,
)
from tests.support.processes import legacy_process, proxy_process
from tests.support.prometheus import Prometheus


@pytest.fixture(scope="module")
def stack(databases, artifacts_dir: Path, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("monitoring")
    database_url = databases.create("postgresql")
    strangler("users", "create", "watcher", "--role", "viewer", "--password-stdin",
              database_url=database_url, stdin=PASSWORD + "\n")
    routes_file = workdir / "routes.yaml"
    routes_file.write_text(ROUTES)
    legacy = legacy_process(database_url, artifacts_dir).start()
    proxy = proxy_process(
        routes_file, database_url, artifacts_dir, workdir / "metrics",
        app="tests.integration.shadow_proxy.altered:app", name="monitored-proxy",
        LEGACY_URL=legacy.url, STRANGLER_SECRET_KEY="monitoring-tests-key",
    )
    proxy.log_path.unlink(missing_ok=True)
    prometheus = Prometheus(f"127.0.0.1:{proxy.port}", workdir, artifacts_dir)
    stack = Stack(database_url, routes_file, legacy, proxy, prometheus)
    try:
        proxy.start()
        stack.wait_for_events("routes_loaded", 2)  # both workers have their table: Prometheus
        prometheus.start()                         # sees every series from its first scrape
        prometheus.wait_for('up{job="strangler-proxy"} == 1')
        stack.first_scrape = prometheus.samples('up{job="strangler-proxy"}')[0][0]
        yield stack
    finally:
        for process in (prometheus, proxy, legacy):
            process.stop()


@pytest.fixture(scope="module")
def traffic(stack: Stack) -> float:
    """Drive the known traffic, then a route that appears; return the scrape that saw it all."""
    comparisons = drive_known_traffic(stack)
    rewrite(stack.routes_file, ROUTES.replace("  - route: POST /api/users  ",
                                              SLUG_ROUTE + "  - route: POST /api/users  "))
    stack.wait_for_events("routes_loaded", 4)
    stack.prometheus.wait_for(
        'shadow_comparisons_total{route="GET /api/articles/:slug",outcome="match"}')
    assert httpx.get(f"{stack.proxy.url}/api/articles/{stack.slug}", timeout=10
                     ).status_code == 200
    at = stack.settle(comparisons + 1)
    stack.report = {row["route"]: row for row in stack.parity_report()}
    return at
