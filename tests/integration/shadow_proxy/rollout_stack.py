"""A gated rollout on real processes: legacy, the proxy (altered.py's backend), controllers.

The proxy runs tests/integration/shadow_proxy/altered.py, so a request's ``X-Test-Alter``
header seeds a difference, an error or a hang in Flask's answer only: the backend itself has
no test hook. Controllers are ``strangler rollout run`` processes (the ServerProcess launcher,
ready when their metrics answer).
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from proxy.canary import bucket, identity
from proxy.validation import load_table
from shadow import engine_from_url
from tests.support import routes
from tests.support.processes import TEST_JWT_SECRET, ServerProcess, free_port

STRANGLER = str(Path(sys.executable).parent / "strangler")
INTERVAL = 0.5  # seconds between two evaluations
PLAN = {"steps": ["shadow", "canary 10", "canary 50", "flask"],
        "gate": {"parity": 90, "min_comparisons": 30, "window": "2m", "candidate_errors": 0,
                 "latency_ratio_p99": None},  # the loaded test machine's latencies say little
        "hold": "1s", "on_breach": "rollback"}


def rollout_table(planned: tuple[str, ...]) -> str:
    """Every operation on legacy; ``planned`` ones shadowed, each with ``rollout: default``."""
    document = routes.table(shadow={"timeout": 1.0},
                            routes={r: {"shadow": "flask", "rollout": "default"}
                                    for r in planned})
    document["rollout"] = PLAN
    return routes.dump(document)


def controller(database: str, routes_file: Path, log_dir: Path) -> ServerProcess:
    port = free_port()
    return ServerProcess(
        "rollout", [STRANGLER, "rollout", "run", "--interval", str(INTERVAL),
                    "--metrics-port", str(port)],
        port=port, ready_path="/metrics", log_dir=log_dir,
        env={"DATABASE_URL": database, "ROUTES_FILE": str(routes_file),
             "JWT_SECRET": TEST_JWT_SECRET},
    ).start()


def steps(routes_file: Path) -> dict[str, str]:
    """Return each listed route's state as the file says now."""
    from proxy.lifecycle import state_name

    table = load_table(routes_file.read_text(), str(routes_file), None)
    return {r.template: state_name(r.entry) for r in table.routes}


@dataclass
class Store:
    """The tooling database, read the way an operator would (SQL)."""

    url: str
    engine: sa.Engine = field(init=False)

    def __post_init__(self) -> None:
        self.engine = engine_from_url(self.url)

    def rows(self, query: str, **params: Any) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(r) for r in connection.execute(sa.text(query), params).mappings()]

    def states(self) -> dict[str, dict[str, Any]]:
        return {r["route"]: r for r in self.rows("SELECT * FROM rollout_states")}

    def decisions(self) -> list[dict[str, Any]]:
        """Return the controllers' audit rows, oldest first."""
        return self.rows("SELECT * FROM route_changes WHERE actor LIKE 'rollout@%' ORDER BY id")


@dataclass
class Users:
    """Registered users (through legacy) with their tokens and canary buckets."""

    names: list[str]
    tokens: dict[str, str]

    @classmethod
    def register(cls, legacy_url: str, count: int) -> Users:
        tokens = {}
        with httpx.Client(base_url=legacy_url, timeout=30) as client:
            for n in range(count):
                user = {"username": f"user{n}", "email": f"user{n}@example.com",
                        "password": "password123"}
                answer = client.post("/api/users", json={"user": user})
                assert answer.status_code == 201, answer.text
                tokens[user["username"]] = answer.json()["user"]["token"]
        return cls(list(tokens), tokens)

    def bucket(self, name: str) -> int:
        return bucket(identity({"HTTP_AUTHORIZATION": f"Token {self.tokens[name]}"}))

    def on_legacy_up_to(self, percent: int) -> list[str]:
        """Return the users legacy serves on every canary up to ``percent``."""
        return [n for n in self.names if self.bucket(n) >= percent]


class Load:
    """A bounded load loop: one request per planned route per round, as random users."""

    def __init__(self, proxy_url: str, users: Users, limit: int) -> None:
        self.client = httpx.Client(base_url=proxy_url, timeout=30)
        self.users = users
        self.limit = limit
        self.sent = 0
        self.random = random.Random(15)
        # route -> (X-Test-Alter value, the users it is sent as): switched on mid-rollout
        self.faults: dict[str, tuple[str, list[str]]] = {}
        self.switched_on: dict[str, float] = {}

    def fault(self, route: str, how: str, users: list[str] | None = None) -> None:
        self.faults[route] = (how, users or self.users.names)
        self.switched_on[route] = time.time()

    def round(self, planned: tuple[str, ...]) -> None:
        assert self.sent < self.limit, f"load loop bound reached ({self.limit} requests)"
        for route in planned:
            how, who = self.faults.get(route, (None, self.users.names))
            user = self.random.choice(who)
            path = route.split(" ", 1)[1].replace(":username", user)
            headers = {"Authorization": f"Token {self.users.tokens[user]}"}
            if how:
                headers["X-Test-Alter"] = how
            answer = self.client.get(path, headers=headers)
            assert answer.status_code < 500 or how == "error", (route, answer.text)
            self.sent += 1

    def close(self) -> None:
        self.client.close()
