"""``strangler legacy status`` on the traffic a real proxy (gunicorn) counted in front of real
legacy (Node), with the real CLI: each kind of traffic that reaches legacy is listed, and after
the last route is flipped (``strangler routes set``) it says legacy can go."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.support import routes
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess
from tests.support.shadow_proxy import strangler
from tests.support.traffic import FLUSH, age_traffic, wait_for_traffic

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]
ORIGIN = "http://app.example.test"
TAGS = "GET /api/tags"


def status(database: str, routes_file: Path, *args: str) -> tuple[int, dict]:
    done = strangler(database, "legacy", "status", "--json", *args, routes_file=routes_file)
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)


def listed(report: dict, section: str) -> dict[tuple[str, str], int]:
    return {(r["route"], r["kind"]): r["requests"] for r in report["legacy"][section]}


def wait_for_version(proxy: ServerProcess, old: str) -> None:
    """Wait (bounded) until the proxy serves a routes.yaml version other than ``old``."""
    for _ in range(100):
        version = httpx.get(proxy.url + "/health/ready",
                            timeout=5).json()["checks"]["routes"]["version"]
        if version != old:
            return
        time.sleep(0.1)
    raise AssertionError("the proxy did not load the flipped routes.yaml")


def test_each_kind_of_traffic_that_reaches_legacy_is_listed(
    databases: DatabaseFactory, start_legacy: Callable[..., ServerProcess],
    start_proxy: Callable[..., ServerProcess], tmp_path: Path,
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    # Flask serves everything but GET /api/tags; GET /api/articles is compared with legacy;
    # legacy serves what no route matches.
    table = routes.table("flask", routes={
        TAGS: {"serve": "legacy"}, "GET /api/articles": {"shadow": "legacy"}})
    routes_file = tmp_path / "routes.yaml"
    routes_file.write_text(routes.dump(table))
    proxy = start_proxy(routes_file, database, LEGACY_URL=legacy.url, WEB_CONCURRENCY="1",
                        STRANGLER_TRAFFIC_FLUSH_SECONDS=FLUSH)
    with httpx.Client(base_url=proxy.url, timeout=10) as api:
        for _ in range(3):
            assert api.get("/api/tags").status_code == 200
        for _ in range(2):
            assert api.head("/api/tags").status_code == 200
        assert api.options("/api/tags", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "GET"}).status_code < 300
        assert api.options("/api/tags").status_code < 300
        assert api.get("/api/no-such-thing/42").status_code == 404
        assert api.get("/api/no-such-thing/43").status_code == 404
        for _ in range(2):
            assert api.get("/api/articles").status_code == 200  # Flask serves, legacy compared
        assert api.get("/api/profiles/nobody").status_code == 404  # Flask: never legacy
    wait_for_traffic(database, 12 + 2)  # 12 served, 2 shadow calls

    code, report = status(database, routes_file)

    assert code == 1 and report["can_switch_off"] is False
    assert report["served"] == 12
    assert listed(report, "routes") == {(TAGS, "request"): 3}
    assert listed(report, "head") == {(TAGS, "head"): 2}
    assert listed(report, "options") == {(TAGS, "preflight"): 1, (TAGS, "options"): 1}
    assert listed(report, "unmatched") == {("GET /api/no-such-thing/:param", "request"): 2}
    assert listed(report, "shadow") == {("GET /api/articles", "shadow"): 2}
    assert report["to_legacy"] == 3 + 2 + 2 + 2 + 2
    assert sorted(report["table"]) == [
        "GET /api/articles: legacy is compared (shadow: legacy)",
        f"{TAGS}: legacy serves it",
        "default: legacy serves every request no route matches",
    ]
    text = strangler(database, "legacy", "status", routes_file=routes_file).stdout
    assert "GET /api/no-such-thing/:param" in text and "Legacy is still needed" in text
    assert "Traceback" not in proxy.log()


def test_the_last_route_left_on_legacy_is_named_and_after_the_flip_legacy_can_go(
    databases: DatabaseFactory, start_legacy: Callable[..., ServerProcess],
    start_proxy: Callable[..., ServerProcess], tmp_path: Path,
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    routes_file = tmp_path / "routes.yaml"
    routes_file.write_text(routes.routes_yaml("flask", default="flask",
                                              routes={TAGS: {"serve": "legacy"}}))
    proxy = start_proxy(routes_file, database, LEGACY_URL=legacy.url, WEB_CONCURRENCY="1",
                        STRANGLER_TRAFFIC_FLUSH_SECONDS=FLUSH)
    with httpx.Client(base_url=proxy.url, timeout=10) as api:
        for path in ("/api/tags", "/api/tags", "/api/articles"):
            assert api.get(path).status_code == 200
    wait_for_traffic(database, 3)

    code, report = status(database, routes_file)
    assert code == 1
    assert listed(report, "routes") == {(TAGS, "request"): 2}
    assert report["table"] == [f"{TAGS}: legacy serves it"]
    assert "GET /api/tags" in strangler(database, "legacy", "status",
                                        routes_file=routes_file).stdout

    # That traffic is two hours old now; the last route moves to Flask alone (plain `flask`
    # keeps comparing it with legacy: shadow calls, listed as such); new traffic.
    age_traffic(database, timedelta(hours=2))
    version = httpx.get(proxy.url + "/health/ready",
                        timeout=5).json()["checks"]["routes"]["version"]
    flip = strangler(database, "routes", "set", TAGS, "flask", "--no-shadow",
                     routes_file=routes_file)
    assert flip.returncode == 0, flip.stderr
    wait_for_version(proxy, version)
    with httpx.Client(base_url=proxy.url, timeout=10) as api:
        for path in ("/api/tags", "/api/tags", "/api/tags", "/api/articles"):
            assert api.get(path).status_code == 200
    wait_for_traffic(database, 3 + 4)

    code, report = status(database, routes_file, "--since", "1h")
    assert (code, report["can_switch_off"]) == (0, True), report
    assert report["served"] == 4 and report["to_legacy"] == 0 and report["table"] == []
    assert report["verdict"].startswith("Legacy can be switched off")
    # Over a week the old requests still count: legacy served them.
    code, report = status(database, routes_file, "--since", "7d")
    assert code == 1 and listed(report, "routes") == {(TAGS, "request"): 2}
