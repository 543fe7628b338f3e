"""Concurrent writers on the real backend process: unique slugs and idempotent relations."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess

pytestmark = [pytest.mark.postgres]


def test_concurrent_articles_with_one_title_get_distinct_slugs(
    database_kind: str, databases: DatabaseFactory, start_backend: Callable[..., ServerProcess]
) -> None:
    server = start_backend(databases.create(database_kind), GUNICORN_CMD_ARGS="--workers 2 "
                           "--worker-class gthread --threads 4")
    with httpx.Client(base_url=server.url + "/api", timeout=30) as client:
        token = client.post("/users", json={"user": {
            "username": "racer", "email": "racer@example.com", "password": "password1"}}
        ).json()["user"]["token"]
        fan = client.post("/users", json={"user": {
            "username": "fan", "email": "fan@example.com", "password": "password1"}}
        ).json()["user"]["token"]

        def create(_: int) -> httpx.Response:
            return client.post("/articles", headers={"Authorization": f"Token {token}"},
                               json={"article": {"title": "Same Title", "description": "d",
                                                 "body": "b", "tagList": ["race", "same"]}})

        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(create, range(8)))
        assert [response.status_code for response in responses] == [201] * 8
        slugs = sorted(response.json()["article"]["slug"] for response in responses)
        assert slugs == sorted(["same-title"] + [f"same-title-{n}" for n in range(2, 9)])

        def favorite(_: int) -> httpx.Response:
            return client.post("/articles/same-title/favorite",
                               headers={"Authorization": f"Token {fan}"})

        with ThreadPoolExecutor(max_workers=6) as pool:
            favorites = list(pool.map(favorite, range(6)))
        assert {response.status_code for response in favorites} == {200}
        assert client.get("/articles/same-title").json()["article"]["favoritesCount"] == 1
        assert client.get("/tags").json() == {"tags": ["race", "same"]}
