"""The proxy in front of the real Node legacy process: the Postman suite, outages, recovery."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from backend.database import REPO_ROOT
from tests.support.conformance import assert_postman_passes
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess, legacy_process

pytestmark = [pytest.mark.legacy]


def ready_when(client: httpx.Client, status: int) -> httpx.Response:
    """Poll /health (every worker, fresh probes) until it answers ``status``; bounded."""
    for _ in range(100):
        response = client.get("/health", headers={"Connection": "close"})
        if response.status_code == status:
            return response
        time.sleep(0.1)
    raise AssertionError(f"/health never answered {status}: {response.text}")


@pytest.mark.postgres
def test_postman_suite_through_the_proxy_passes_on_postgresql(
    databases: DatabaseFactory, start_legacy: Callable[..., ServerProcess], start_proxy,
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_proxy(REPO_ROOT / "routes.yaml", database, LEGACY_URL=legacy.url)
    assert_postman_passes(proxy.url + "/api")
    page = httpx.get(proxy.url + "/metrics").text
    assert 'route="POST /api/articles/:slug/comments",side="legacy",status_class="2xx"' in page
    assert "Traceback" not in Path(proxy.log_path).read_text()


def test_legacy_down_is_502_and_the_proxy_recovers_without_restart(
    sqlite_database: str, start_legacy: Callable[..., ServerProcess], start_proxy,
    artifacts_dir: Path,
) -> None:
    legacy = start_legacy(sqlite_database)
    proxy = start_proxy(REPO_ROOT / "routes.yaml", sqlite_database, LEGACY_URL=legacy.url)
    with httpx.Client(base_url=proxy.url) as client:
        assert client.get("/api/tags").status_code == 200
        assert legacy.stop() == 0

        down = client.get("/api/tags", headers={"X-Request-ID": "down-1"})
        assert down.status_code == 502
        assert down.json() == {"errors": {"proxy": ["legacy unreachable"]},
                               "requestId": "down-1"}
        health = ready_when(client, 503)  # probed in the background: at most ~1 s old
        assert health.json()["checks"]["legacy"]["ok"] is False
        assert client.get("/health/live").status_code == 200

        again = legacy_process(sqlite_database, artifacts_dir, PORT=str(legacy.port))
        again.port = legacy.port
        again.start()
        try:
            assert client.get("/api/tags").status_code == 200
            assert ready_when(client, 200).json()["checks"]["legacy"]["ok"] is True
        finally:
            assert again.stop() == 0


def test_legacy_headers_through_the_proxy(
    sqlite_database: str, start_legacy: Callable[..., ServerProcess], start_proxy,
) -> None:
    legacy = start_legacy(sqlite_database)
    proxy = start_proxy(REPO_ROOT / "routes.yaml", sqlite_database, LEGACY_URL=legacy.url,
                        PROXY_MAX_BODY_BYTES="50000")
    direct = httpx.get(legacy.url + "/api/tags")
    proxied = httpx.get(proxy.url + "/api/tags", headers={"X-Request-ID": "tags-1"})
    assert "keep-alive" in direct.headers  # Node's hop-by-hop header...
    assert "keep-alive" not in proxied.headers  # ...does not cross the proxy
    assert proxied.headers["x-powered-by"] == direct.headers["x-powered-by"]
    assert proxied.headers["etag"] == direct.headers["etag"]
    assert proxied.content == direct.content
    assert proxied.headers["x-request-id"] == "tags-1"
    assert proxied.headers["via"] == "1.1 strangler"
    head = httpx.head(proxy.url + "/api/tags")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-length"] == direct.headers["content-length"]
    etag = {"If-None-Match": direct.headers["etag"]}
    not_modified = httpx.get(proxy.url + "/api/tags", headers=etag)
    assert not_modified.status_code == 304
    big = httpx.post(proxy.url + "/api/users", content=b"{" + b" " * 60000 + b"}",
                     headers={"Content-Type": "application/json"})
    assert big.status_code == 413
    assert "requestId" in big.json()
    legacy.stop()
    assert " 200 " in legacy.log() and "tags-1" in legacy.log()  # the id reached legacy's log
