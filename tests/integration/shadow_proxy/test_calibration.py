"""Flask serves, legacy is compared: noise calibration finds a field that differs between two
answers of the control, ``parity noise ROUTE --accept`` ignores it, and writes never reach
legacy as candidate."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from shadow.report import latest_mismatches
from shadow.store import engine_from_url
from tests.integration.shadow_proxy.altered import __name__ as altered_module
from tests.support import routes
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess
from tests.support.shadow_proxy import strangler, wait_for_comparisons

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]


def table() -> str:
    """Every operation on legacy but two served by Flask and compared with legacy, one of
    them calibrated on every request."""
    return routes.routes_yaml(routes={
        "GET /api/tags": {"serve": "flask", "shadow": "legacy", "calibrate": 1.0},
        "POST /api/users": {"serve": "flask", "shadow": "legacy"},
    })


def test_noise_is_found_accepted_and_then_ignored(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    http: Callable[[str], httpx.Client],
    tmp_path: Path,
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(table(), database, legacy.url, app=altered_module + ":app")
    api = http(proxy.url)
    user = {"username": "dora", "email": "dora@example.com", "password": "password123"}
    assert api.post("/api/users", json={"user": user}).status_code == 201
    for n in range(3):
        response = api.get("/api/tags", headers={"X-Test-Alter": "nonce",
                                                 "X-Request-ID": f"noisy-{n}"})
        assert response.status_code == 200 and "nonce" in response.json()
    rows = wait_for_comparisons(database, 4)
    assert [(r["route"], r["control_side"], r["outcome"]) for r in rows] == [
        ("POST /api/users", "flask", "skipped_unsafe"),
        *[("GET /api/tags", "flask", "mismatch")] * 3,
    ]
    routes_file = tmp_path / "routes-0.yaml"
    deadline = time.monotonic() + 20
    while "body.nonce" not in (listed := strangler(database, "parity", "noise", "GET /api/tags",
                                                  routes_file=routes_file)).stdout:
        assert time.monotonic() < deadline, listed.stdout + listed.stderr
        time.sleep(0.3)
    version = api.get("/health").json()["checks"]["routes"]["version"]
    accepted = strangler(database, "parity", "noise", "GET /api/tags", "--accept",
                         "--reason", "a per-request nonce", routes_file=routes_file)
    assert accepted.returncode == 0, accepted.stderr
    assert "body.nonce" in routes_file.read_text()

    deadline = time.monotonic() + 20
    while api.get("/health").json()["checks"]["routes"]["version"] == version:
        assert time.monotonic() < deadline, "the proxy did not reload routes.yaml"
        time.sleep(0.2)
    api.get("/api/tags", headers={"X-Test-Alter": "nonce", "X-Request-ID": "accepted"})
    rows = wait_for_comparisons(database, 5)
    # The accepted rule forgives the nonce's value, not its absence from legacy's answer
    # (issue 12: ignore keeps shape): the value is no longer compared, the absence still is.
    assert (rows[-1]["request_id"], rows[-1]["outcome"]) == ("accepted", "mismatch")
    engine = engine_from_url(database)
    try:
        samples = {s.request_id: s.differences
                   for s in latest_mismatches(engine, "GET /api/tags", limit=20)}
    finally:
        engine.dispose()
    assert samples["accepted"] == [{"path": "body.nonce", "kind": "missing_in_candidate",
                                    "control": "<string>", "candidate": None}]
    assert samples["noisy-0"][0]["control"] not in (None, "<string>")
    health = api.get("/health").json()["checks"]["shadow"]
    assert health["store_dropped"] == 0 and health["in_flight"] >= 0
