"""Legacy and the backend, each on its own fresh PostgreSQL database, seeded identically."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from tests.comparative.exchange import Reply
from tests.fuzz import tables
from tests.fuzz.wire import RawRequest, exchange
from tests.support import jwt_variants
from tests.support.databases import DatabaseFactory
from tests.support.processes import (
    TEST_JWT_SECRET,
    ServerProcess,
    backend_process,
    legacy_process,
)

PASSWORD = "password123"
SEED_USERS = ("ann", "bob", "cy")


@dataclass
class Live:
    """Values that exist on both sides: what generated requests aim at, besides junk."""

    user_ids: dict[str, int] = field(default_factory=dict)
    slugs: list[str] = field(default_factory=list)
    comment_ids: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def usernames(self) -> list[str]:
        return list(self.user_ids)

    @property
    def now(self) -> int:
        return int(time.time())

    def token(self, username: str) -> str:
        """Return a token for ``username`` as legacy issues it (the same bytes for both)."""
        return jwt_variants.token(jwt_variants.STANDARD_HEADER,
                                  jwt_variants.claims(self.user_ids[username], self.now,
                                                      username=username), TEST_JWT_SECRET)


class Pair:
    """Both servers, their databases, and the seed state both return to."""

    def __init__(self, databases: DatabaseFactory, log_dir: Path) -> None:
        self.urls = (databases.create("postgresql"), databases.create("postgresql"))
        self.legacy: ServerProcess = legacy_process(self.urls[0], log_dir).start()
        self.backend: ServerProcess = backend_process(self.urls[1], log_dir).start()
        self.connections = tuple(psycopg.connect(url, autocommit=True) for url in self.urls)
        self.live = Live()
        self.seed_rows: tables.Rows = {}

    def send(self, request: RawRequest) -> tuple[Reply, Reply]:
        """Send ``request`` to legacy, then the same bytes to the backend."""
        return exchange(self.legacy.url, request), exchange(self.backend.url, request)

    def snapshot(self) -> tuple[tables.Rows, tables.Rows]:
        return tables.read(self.connections[0]), tables.read(self.connections[1])

    def reset(self) -> None:
        """Put both databases back in the seed state (the legacy side's seed rows)."""
        for connection in self.connections:
            tables.restore(connection, self.seed_rows)

    def seed(self) -> None:
        """Create the same users, follows, articles, tags, favorites and comments on both."""
        for name in SEED_USERS:
            reply = self._both(RawRequest("POST", "/api/users", [("Content-Type",
                               "application/json")], json.dumps({"user": {
                                   "username": name, "email": f"{name}@example.com",
                                   "password": PASSWORD}}).encode()))
            self.live.user_ids[name] = len(self.live.user_ids) + 1
            assert reply.status == 201, reply.body
        self._as("ann", "POST", "/api/profiles/bob/follow")
        for number, (author, tags) in enumerate([("ann", ["dragons", "training"]),
                                                 ("bob", ["dragons"]), ("bob", [])]):
            reply = self._as(author, "POST", "/api/articles", {"article": {
                "title": f"Seed article {number}", "description": "about", "body": "text",
                "tagList": tags}})
            self.live.slugs.append(json.loads(reply.body)["article"]["slug"])
        self.live.tags = ["dragons", "training"]
        self._as("cy", "POST", f"/api/articles/{self.live.slugs[0]}/favorite")
        for author in ("bob", "cy"):
            reply = self._as(author, "POST", f"/api/articles/{self.live.slugs[0]}/comments",
                             {"comment": {"body": f"comment by {author}"}})
            self.live.comment_ids.append(str(json.loads(reply.body)["comment"]["id"]))
        self.seed_rows = tables.read(self.connections[0])
        self.reset()

    def _as(self, username: str, method: str, target: str, body: object = None) -> Reply:
        headers = [("Authorization", f"Token {self.live.token(username)}")]
        data = None
        if body is not None:
            headers.append(("Content-Type", "application/json"))
            data = json.dumps(body).encode()
        reply = self._both(RawRequest(method, target, headers, data))
        assert reply.status in (200, 201), (target, reply.body)
        return reply

    def _both(self, request: RawRequest) -> Reply:
        legacy, backend = self.send(request)
        assert legacy.status == backend.status, (request.target, legacy.body, backend.body)
        return legacy

    def close(self) -> None:
        for connection in self.connections:
            connection.close()
        self.backend.stop()
        self.legacy.stop()
