"""Capture real traffic through the proxy, export it, replay it against the backend (issue 16).

Every route shadowed and captured (``capture: {fraction: 1}``); the Postman suite and a small
workload of our own (known passwords, tokens, a cookie) go through the real proxy in front of
real legacy on PostgreSQL. The export holds none of those secrets; replaying it against this
checkout's backend on a fresh database matches 100% and exits 0; against a copy of the
checkout with a seeded difference (a mutant, tests/mutants/patching) it names the route and
path and exits 1.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from shadow import engine_from_url, schema
from tests.mutants import patching
from tests.mutants.catalog import BY_NAME
from tests.support import routes
from tests.support.conformance import assert_postman_passes
from tests.support.databases import DatabaseFactory
from tests.support.processes import REPO_ROOT, ServerProcess
from tests.support.shadow_proxy import strangler

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]

PASSWORD = "capture-secret-pw-731"
COOKIE = "sid=cookie-value-5521"
SEEDED = BY_NAME["favorites-count-string"]  # favoritesCount as a string on article reads
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "capture" / "traffic.jsonl"


def captured_table() -> str:
    table = routes.shadowed()
    table["capture"] = {"fraction": 1.0, "max_per_hour": 10_000}
    return routes.dump(table)


def captures(database_url: str) -> int:
    engine = engine_from_url(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count()).select_from(schema.captures)).scalar_one()
    finally:
        engine.dispose()


def settled(database_url: str, limit: float = 30.0) -> int:
    """Wait until the capture writer has stored everything (the count stops growing)."""
    deadline, last = time.monotonic() + limit, -1
    while time.monotonic() < deadline:
        count = captures(database_url)
        if count == last and count:
            return count
        last = count
        time.sleep(1.5)
    return last


def own_workload(client: httpx.Client) -> list[str]:
    """Register, log in, write and read with known credentials; return every secret used."""
    secrets = [PASSWORD, COOKIE.split("=", 1)[1]]
    user = {"username": "capturer", "email": "capturer@example.com", "password": PASSWORD}
    reply = client.post("/api/users", json={"user": user}, headers={"Cookie": COOKIE})
    assert reply.status_code in (200, 201), reply.text
    secrets.append(reply.json()["user"]["token"])
    reply = client.post("/api/users/login", json={"user": {"email": user["email"],
                                                             "password": PASSWORD}})
    token = reply.json()["user"]["token"]
    secrets.append(token)
    auth = {"Authorization": f"Token {token}", "Cookie": COOKIE}
    article = {"title": "Captured article", "description": "d", "body": "b",
               "tagList": ["capture", "replay"]}
    reply = client.post("/api/articles", json={"article": article}, headers=auth)
    slug = reply.json()["article"]["slug"]
    client.get(f"/api/articles/{slug}", headers=auth)
    client.post(f"/api/articles/{slug}/favorite", headers=auth)
    reply = client.post(f"/api/articles/{slug}/comments", json={"comment": {"body": "hi"}},
                        headers=auth)
    comment = reply.json()["comment"]["id"]
    client.get(f"/api/articles/{slug}/comments", headers=auth)
    client.delete(f"/api/articles/{slug}/comments/{comment}", headers=auth)
    client.get("/api/articles?tag=capture")
    client.get("/api/user", headers=auth)
    client.put("/api/user", json={"user": {"bio": "captured"}}, headers=auth)
    client.get("/api/profiles/capturer", headers=auth)
    client.get("/api/tags")
    return secrets


def readable(export: str) -> str:
    """Return the export with every base64 body decoded next to it: what a grep must search."""
    decoded = []
    for line in export.splitlines():
        record = json.loads(line)["record"]
        for part in (record["exchange"], record["control"] or {}):
            if part.get("body"):
                decoded.append(base64.b64decode(part["body"]).decode("utf-8", "replace"))
    return export + "\n" + "\n".join(decoded)


def replay(file: Path, *args: str, root: Path = REPO_ROOT, database_url: str,
           routes_file: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``strangler replay FILE`` in a subprocess importing the packages under ``root``."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "DATABASE_URL": database_url,
           "ROUTES_FILE": str(routes_file or root / "routes.yaml")}
    return subprocess.run(
        [sys.executable, "-c", "from rollout.cli import cli; cli()", "replay", str(file),
         "--against", "flask", "--database", database_url, "--json", *args],
        capture_output=True, text=True, env=env, cwd=root, timeout=240, check=False)


def assert_replay_passes(file: Path, databases: DatabaseFactory) -> dict:
    result = replay(file, "--min-parity", "100", database_url=databases.create("postgresql"))
    assert result.returncode == 0, (result.stdout[-6000:], result.stderr[-3000:])
    report = json.loads(result.stdout)
    assert report["passed"] and report["total"]["parity"] == 100.0
    return report


def assert_seeded_difference_found(file: Path, databases: DatabaseFactory,
                                   tmp_path: Path) -> dict:
    root = patching.copy_packages(REPO_ROOT, tmp_path / "mutant")
    patching.apply(SEEDED, root)
    result = replay(file, "--min-parity", "99.5", root=root,
                    database_url=databases.create("postgresql"))
    assert result.returncode == 1, (result.stdout[-4000:], result.stderr[-3000:])
    report = json.loads(result.stdout)
    assert not report["passed"]
    failing = {row["route"] for row in report["routes"] if row["parity"] < 99.5}
    # favoritesCount is in every article answer: reads and the writes that return one
    assert "GET /api/articles/:slug" in failing, failing
    assert all("/api/articles" in route for route in failing), failing
    found = {path for group in report["groups"] for path in group["paths"]}
    assert found & set(SEEDED.paths), report["groups"]
    return report


def test_captured_traffic_exports_without_secrets_and_replays_at_full_parity(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    http: Callable[[str], httpx.Client],
    tmp_path: Path,
    artifacts_dir: Path,
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(captured_table(), database, legacy.url)
    secrets = own_workload(http(proxy.url))
    own = settled(database)
    assert_postman_passes(proxy.url + "/api")
    stored = settled(database)
    assert stored > 40

    routes_file = tmp_path / "routes.yaml"
    routes_file.write_text(captured_table())
    export = strangler(database, "capture", "export", routes_file=routes_file)
    assert export.returncode == 0, export.stderr
    traffic = tmp_path / "traffic.jsonl"
    traffic.write_text(export.stdout)
    (artifacts_dir / "capture-traffic.jsonl").write_text(export.stdout)
    lines = export.stdout.splitlines()
    assert len(lines) == stored
    assert all(json.loads(line)["capture"] == 1 for line in lines)

    text = readable(export.stdout)
    for secret in secrets:
        assert secret not in text, f"a secret used by the workload was exported: {secret[:12]}"
    assert not re.search(r"eyJ[\w-]+\.[\w-]+\.", text), "a JWT was exported"
    assert not re.search(r"password-c\d+", text), "a Postman password was exported"
    assert "[REDACTED:" in text and "[REDACTED]" in text
    assert '"password":"[REDACTED]"' in text and "Token [REDACTED:" in text

    report = assert_replay_passes(traffic, databases)
    assert report["total"]["skipped"] == 0, report["not_matching"][:5]
    assert report["total"]["judged"] > 40
    # The same traffic, shadowed live: the same verdict per route as its replay.
    live = strangler(database, "parity", "report", "--json", "--since", "1h")
    assert live.returncode == 0, live.stderr
    live_parity = {row["route"]: row["match_pct"] for row in json.loads(live.stdout)}
    assert {row["route"]: live_parity.get(row["route"]) for row in report["routes"]} == {
        row["route"]: row["parity"] for row in report["routes"]}
    assert_seeded_difference_found(traffic, databases, tmp_path)

    # Import into another store; `replay --id` re-runs one exchange by its new id.
    other = databases.create("postgresql")
    imported = strangler(other, "capture", "import", str(traffic), routes_file=routes_file)
    assert imported.returncode == 0, imported.stderr
    assert f"Imported {stored}" in imported.stdout
    rerun = strangler(other, "replay", "--id", "1", "--json", routes_file=routes_file)
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["outcome"] in ("match", "skipped")
    if os.environ.get("STRANGLER_WRITE_CAPTURE_FIXTURE"):  # how FIXTURE was made
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text("".join(line + "\n" for line in lines[:own]))


def test_the_committed_capture_replays_at_full_parity_and_catches_a_seeded_difference(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    """CI's parity gate: the small committed capture against this checkout's backend."""
    text = readable(FIXTURE.read_text())
    assert PASSWORD not in text and COOKIE.split("=", 1)[1] not in text
    assert not re.search(r"eyJ[\w-]+\.[\w-]+\.", text)
    report = assert_replay_passes(FIXTURE, databases)
    assert report["total"]["judged"] >= 12
    assert_seeded_difference_found(FIXTURE, databases, tmp_path)
