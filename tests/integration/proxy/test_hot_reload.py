"""Route flips under load: every worker swaps tables, no request fails, bad files are refused."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from backend.database import REPO_ROOT, database_url, db
from proxy.lifecycle import RouteState
from proxy.validation import load_table
from rollout import create_app
from rollout.route_file import flip_route
from tests.support.processes import ServerProcess, worker_pids

pytestmark = [pytest.mark.legacy]


@pytest.fixture
def flipper(sqlite_database: str, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Flip GET /api/tags through flip_route (what the CLI and dashboard call); return the
    new table version."""
    routes = tmp_path / "routes.yaml"
    routes.write_text((REPO_ROOT / "routes.yaml").read_text())
    app = create_app({"ROUTES_FILE": str(routes),
                      "SQLALCHEMY_DATABASE_URI": database_url(sqlite_database)})
    shapes = app.extensions["strangler"].shapes()

    def flip(state: str) -> str:
        with app.app_context():
            change = flip_route(routes, "GET /api/tags", RouteState.parse(state), actor="test",
                                reason="hot reload test", shapes=shapes)
        assert change is not None
        return load_table(routes.read_text(), str(routes), shapes).version

    flip.path = routes
    yield flip
    with app.app_context():
        db.engine.dispose()


def wait_for_every_worker(proxy: ServerProcess, check: Callable[[dict], bool]) -> None:
    """Poll /health on fresh connections until every worker satisfies ``check`` (bounded)."""
    workers = set(worker_pids(proxy))
    satisfied: set[int] = set()
    for _ in range(400):
        body = httpx.get(proxy.url + "/health").json()
        pid = body["checks"]["process"]["pid"]
        if check(body["checks"]["routes"]):
            satisfied.add(pid)
        else:
            satisfied.discard(pid)
        if satisfied >= workers:
            return
    raise AssertionError(f"workers {workers - satisfied} never reported the expected table")


def test_flips_under_load(sqlite_database: str, start_legacy, start_proxy, flipper) -> None:
    routes = flipper.path
    legacy = start_legacy(sqlite_database)
    proxy = start_proxy(routes, sqlite_database, LEGACY_URL=legacy.url)
    failures: list[str] = []
    counts = [0]
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=proxy.url, timeout=10) as client:
            for _ in range(3000):
                if stop.is_set():
                    return
                try:
                    response = client.get("/api/tags")
                    if response.status_code != 200 or "tags" not in response.json():
                        failures.append(f"{response.status_code} {response.text[:200]}")
                except httpx.HTTPError as error:
                    failures.append(repr(error))
                counts[0] += 1

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        for state in ("flask", "legacy", "canary 50", "flask"):
            version = flipper(state)
            wait_for_every_worker(proxy, lambda r, v=version: r["version"] == v)
        good_version = version
        good_text = routes.read_text()
        routes.write_text(good_text.replace("serve: flask", "serve: {flask: 50}"))
        wait_for_every_worker(
            proxy, lambda r: r["version"] == good_version
            and "routes[18].serve" in (r["last_reload_error"] or ""),
        )
        routes.write_text(good_text)
        wait_for_every_worker(proxy, lambda r: r["version"] == good_version
                              and r["last_reload_error"] is None)
        final = flipper("legacy")
        wait_for_every_worker(proxy, lambda r: r["version"] == final
                              and r["last_reload_error"] is None)
    finally:
        stop.set()
        for thread in threads:
            thread.join()

    assert failures == []
    assert counts[0] > 0
    page = httpx.get(proxy.url + "/metrics").text
    for side in ("flask", "legacy"):
        assert (f'strangler_proxy_requests_total{{method="GET",route="GET /api/tags",'
                f'side="{side}",status_class="2xx"}}') in page
    failed_reloads = [line for line in page.splitlines()
                      if line.startswith("strangler_proxy_route_reload_failures_total ")]
    assert float(failed_reloads[0].split()[1]) >= 2  # each worker refused the bad version
    assert "Traceback" not in Path(proxy.log_path).read_text()
