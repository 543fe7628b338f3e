"""Dry-run requests against the real backend process on PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from itsdangerous import TimestampSigner

from backend import dryrun
from tests.support.databases import DatabaseFactory
from tests.support.processes import TEST_JWT_SECRET, ServerProcess

pytestmark = [pytest.mark.postgres]


def test_a_dry_run_writes_nothing(
    database_kind: str, databases: DatabaseFactory, start_backend: Callable[..., ServerProcess]
) -> None:
    server = start_backend(databases.create(database_kind))
    marker = TimestampSigner(TEST_JWT_SECRET, salt=dryrun.SALT).sign("shadow").decode()
    user = {"user": {"username": "ghost", "email": "ghost@example.com", "password": "password1"}}
    with httpx.Client(base_url=server.url + "/api", timeout=10) as client:
        real = client.post("/users", json={"user": {**user["user"], "username": "real",
                                                    "email": "real@example.com"}})
        token = real.json()["user"]["token"]
        ghost = client.post("/users", json=user, headers={dryrun.HEADER: marker})
        assert ghost.status_code == 201
        article = client.post(
            "/articles",
            json={"article": {"title": "Ghost", "description": "d", "body": "b",
                              "tagList": ["boo"]}},
            headers={dryrun.HEADER: marker, "Authorization": f"Token {token}"},
        )
        assert article.status_code == 201
        assert article.json()["article"]["slug"] == "ghost"
        assert client.get("/profiles/ghost").status_code == 404
        assert client.get("/articles").json() == {"articles": [], "articlesCount": 0}
        assert client.get("/tags").json() == {"tags": []}
        again = client.post("/users", json=user)
        assert again.status_code == 201
        refused = client.post("/users", json=user, headers={dryrun.HEADER: "forged"})
        assert refused.status_code == 400
        assert refused.json() == {"errors": {"dry-run": ["is invalid"]}}
