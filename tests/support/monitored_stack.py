"""The monitoring tests' stack: its route table, the traffic they drive, what they read back.

tests/integration/monitoring/conftest.py starts it: Prometheus scraping a real proxy (the
backend altered per request by ``X-Test-Alter``) in front of real legacy.
"""


from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from shadow import Outcome, engine_from_url, schema
from tests.support.processes import (
    TEST_JWT_SECRET,
    ServerProcess,
)
from tests.support.prometheus import Prometheus

PASSWORD = "watching the watchers"
SLUG_ROUTE = """\
  - route: GET /api/articles/:slug           # appears by a reload; one comparison (match)
    serve: legacy
    shadow: flask
"""
ROUTES = """\
legacy:
  url: http://127.0.0.1:9                    # LEGACY_URL overrides
shadow:
  ignore: [body.user.token]
routes:
  - route: GET /api/tags                     # several comparisons, all matches
    serve: legacy
    shadow: flask
  - route: GET /api/profiles/:username       # one comparison: a mismatch
    serve: legacy
    shadow: flask
  - route: GET /api/articles                 # flipped: Flask serves, parity below threshold
    serve: flask
    shadow: legacy
  - route: GET /api/articles/:slug/comments  # canary, all matches
    serve: {flask: 50, legacy: 50}
    shadow: true
  - route: GET /api/user                     # a candidate error and a timeout
    serve: legacy
    shadow: flask
    timeout: 1.0
  - route: GET /api/articles/feed            # one comparison shed at the route's cap
    serve: legacy
    shadow: flask
    max_in_flight: 1
  - route: POST /api/users/login             # writes not mirrored: skipped_unsafe
    serve: legacy
    shadow: flask
  - route: DELETE /api/articles/:slug        # shadowed, never requested
    serve: legacy
    shadow: flask
  - route: POST /api/users                   # legacy only
    serve: legacy
"""


@dataclass
class Stack:
    """The running processes, what the test sent, and the times Prometheus is asked about."""

    database_url: str
    routes_file: Path
    legacy: ServerProcess
    proxy: ServerProcess
    prometheus: Prometheus
    username: str = ""
    slug: str = ""
    first_scrape: float = 0.0
    report: dict[str, dict[str, Any]] = field(default_factory=dict)  # after the traffic
    checked: set[str] = field(default_factory=set)  # panel targets and rules evaluated

    def log(self) -> list[dict[str, Any]]:
        """Return the proxy's JSON log lines (access lines and events), in order."""
        lines = self.proxy.log_path.read_text(errors="replace").splitlines()
        return [json.loads(line) for line in lines if line.startswith("{")]

    def requests(self) -> list[dict[str, Any]]:
        """Return the access lines: one per request the proxy answered."""
        return [line for line in self.log() if "request_id" in line]

    def events(self, name: str) -> int:
        return sum(1 for line in self.log() if line.get("event") == name)

    def wait_for_events(self, name: str, count: int, limit: float = 20.0) -> None:
        deadline = time.monotonic() + limit
        while self.events(name) < count:
            assert time.monotonic() < deadline, (name, count, self.proxy.log())
            time.sleep(0.1)

    def window(self, at: float) -> str:
        """Return a range from the first scrape to ``at``: increase() then extrapolates nothing."""
        return f"{round((at - self.first_scrape) * 1000)}ms"

    def exposition(self) -> str:
        return httpx.get(self.proxy.url + "/metrics", timeout=10).text

    def exposed(self, series: str) -> float:
        """Return the value of one series on the proxy's /metrics page (0 if absent)."""
        for line in self.exposition().splitlines():
            if line.startswith(series + " "):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    def stored(self) -> int:
        """Return how many comparisons the parity store holds."""
        engine = engine_from_url(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(
                    sa.select(sa.func.count()).select_from(schema.comparisons)).scalar_one()
        finally:
            engine.dispose()

    def settle(self, comparisons: int, limit: float = 30.0) -> float:
        """Wait until the store and /metrics hold ``comparisons``; return the next scrape."""
        deadline = time.monotonic() + limit
        while True:
            stored = self.stored()
            counted = sum(float(line.rsplit(" ", 1)[1]) for line in self.exposition().splitlines()
                          if line.startswith("shadow_comparisons_total{"))
            if stored >= comparisons and counted >= comparisons:
                break
            assert time.monotonic() < deadline, (stored, counted, comparisons)
            time.sleep(0.2)
        assert (stored, counted) == (comparisons, comparisons)
        return self.prometheus.scraped_after(time.time())

    def rollout(self, *args: str) -> str:
        """Run ``strangler rollout ARGS`` on this stack's routes.yaml and database, its metrics
        written into the proxy's PROMETHEUS_MULTIPROC_DIR (so the proxy's /metrics has them)."""
        return subprocess.run(
            [str(Path(sys.executable).parent / "strangler"), "rollout", *args], text=True,
            env={**os.environ, "DATABASE_URL": self.database_url,
                 "ROUTES_FILE": str(self.routes_file), "JWT_SECRET": TEST_JWT_SECRET,
                 "PROMETHEUS_MULTIPROC_DIR": self.proxy.env["PROMETHEUS_MULTIPROC_DIR"]},
            capture_output=True, timeout=60, check=True,
        ).stdout

    def rollout_status(self) -> dict[str, dict[str, Any]]:
        """Return ``strangler rollout status --json`` by route."""
        return {row["route"]: row for row in json.loads(self.rollout("status", "--json"))}

    def parity_report(self) -> list[dict[str, Any]]:
        """Return ``strangler parity report --json`` over the last hour."""
        return json.loads(strangler("parity", "report", "--json", "--since", "1h",
                                    database_url=self.database_url))

    def dashboard_overview(self) -> list[dict[str, Any]]:
        """Return the dashboard's overview rows (JSON), logged in as a viewer."""
        with httpx.Client(base_url=self.proxy.url, timeout=10) as client:
            form = client.get("/_strangler/login").text
            token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            login = client.post("/_strangler/login", data={
                "csrf_token": token, "username": "watcher", "password": PASSWORD, "next": ""})
            assert login.status_code == 302, login.text
            return client.get("/_strangler/api/overview?window=1h").json()["routes"]


OUTCOMES = tuple(str(outcome) for outcome in Outcome)


def strangler(*args: str, database_url: str, stdin: str = "") -> str:
    """Run the real ``strangler`` console script; return its output."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "strangler"), *args], input=stdin, text=True,
        env={**os.environ, "DATABASE_URL": database_url}, capture_output=True, timeout=60,
        check=True,
    ).stdout


def rewrite(path: Path, text: str) -> None:
    """Replace routes.yaml atomically, as ``strangler routes set`` does."""
    spare = path.with_suffix(".new")
    spare.write_text(text)
    spare.replace(path)


def drive_known_traffic(stack: Stack) -> int:
    """Send the scenario's requests; return how many comparisons they make."""
    name = stack.username = "watch" + uuid.uuid4().hex[:8]
    with httpx.Client(base_url=stack.proxy.url, timeout=30) as client:
        user = client.post("/api/users", json={"user": {
            "username": name, "email": f"{name}@example.com", "password": PASSWORD}})
        assert user.status_code == 201, user.text
        token = {"Authorization": "Token " + user.json()["user"]["token"]}
        article = client.post("/api/articles", headers=token, json={"article": {
            "title": f"Monitoring {name}", "description": "d", "body": "b", "tagList": ["watch"]}})
        assert article.status_code == 201, article.text
        stack.slug = article.json()["article"]["slug"]

        for _ in range(5):
            assert client.get("/api/tags").status_code == 200
        alter = {"X-Test-Alter": "status"}
        assert client.get(f"/api/profiles/{name}", headers=alter).status_code == 200
        assert client.get("/api/articles").status_code == 200
        assert client.get("/api/articles", params={"limit": 5}).status_code == 200
        assert client.get("/api/articles", headers={"X-Test-Alter": "count"}).status_code == 200
        for _ in range(2):
            assert client.get(f"/api/articles/{stack.slug}/comments").status_code == 200
        for how in ("error", "hang"):
            assert client.get("/api/user", headers={"X-Test-Alter": how}).status_code == 401
        # One keep-alive connection stays on one worker: its Mirror still runs the first
        # candidate (3 s) when the second request comes, so the route's cap of 1 sheds it.
        assert client.get("/api/articles/feed", headers={"X-Test-Alter": "hang"}
                          ).status_code == 401
        assert client.get("/api/articles/feed").status_code == 401
        login = client.post("/api/users/login", json={"user": {
            "email": f"{name}@example.com", "password": PASSWORD}})
        assert login.status_code == 200
        assert client.get("/api/nothing-here").status_code == 404
        assert client.request("PROPFIND", "/api/tags").status_code == 404
        assert client.get("/api/articles/%2F").status_code == 400
    return 5 + 1 + 3 + 2 + 2 + 2 + 1


