"""A dry-run's row changes are compared with the rows the control committed (shadow.effects).

Real legacy on PostgreSQL as the control, the proxy with an altered backend as the candidate
(tests.integration.shadow_proxy.altered): the answers are the same, the rows are not.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess
from tests.support.shadow_proxy import shadowed_routes, wait_for_comparisons

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]
ALTERED = "tests.integration.shadow_proxy.altered:app"


def test_row_changes_are_compared_with_the_controls(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    http: Callable[[str], httpx.Client],
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(shadowed_routes(), database, legacy.url, app=ALTERED)
    api = http(proxy.url)

    def token(name: str) -> str:
        user = {"username": name, "email": f"{name}@example.com", "password": "password123"}
        reply = api.post("/api/users", json={"user": user}, headers={"X-Request-ID": name})
        assert reply.status_code == 201
        return str(reply.json()["user"]["token"])

    def send(method: str, path: str, request_id: str, who: str, alter: str | None = None,
             **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Token {who}", "X-Request-ID": request_id}
        if alter:
            headers["X-Test-Alter"] = alter
        reply = api.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
        assert reply.status_code < 300, reply.text
        return reply

    alice, bob = token("alice"), token("bob")
    article = {"article": {"title": "T", "description": "d", "body": "b", "tagList": ["x", "y"]}}
    slug = send("POST", "/api/articles", "create", alice, json=article).json()["article"]["slug"]
    send("POST", f"/api/articles/{slug}/comments", "comment", bob,
         json={"comment": {"body": "hello"}})
    send("POST", f"/api/articles/{slug}/favorite", "favorite", bob)
    send("POST", "/api/profiles/alice/follow", "follow", bob)
    send("PUT", "/api/user", "update-user", bob, json={"user": {"bio": "mine"}})
    send("PUT", f"/api/articles/{slug}", "lost-update", alice, "lose-writes",
         json={"article": {"body": "changed"}})
    send("DELETE", "/api/profiles/alice/follow", "lost-unfollow", bob, "lose-writes")
    send("POST", f"/api/articles/{slug}/comments", "extra-row", bob, "extra-row",
         json={"comment": {"body": "again"}})

    rows = wait_for_comparisons(database, 10)
    by_id = {row["request_id"]: row for row in rows}
    for same in ("alice", "bob", "create", "comment", "favorite", "follow", "update-user"):
        assert by_id[same]["outcome"] == "match", (same, by_id[same])
    for lost in ("lost-update", "lost-unfollow", "extra-row"):
        assert by_id[lost]["outcome"] == "mismatch", (lost, by_id[lost])
    assert paths(database, "lost-update") == ["effects.articles[~].body",
                                              "effects.articles[~].updated_at"]
    assert paths(database, "lost-unfollow") == ["effects.follows[-]"]
    assert paths(database, "extra-row") == ["effects.tags[+]"]


def paths(database_url: str, request_id: str) -> list[str]:
    """The differing paths of the mismatch sample kept for ``request_id``."""
    from shadow import engine_from_url, schema

    engine = engine_from_url(database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(schema.samples.select().where(
                schema.samples.c.request_id == request_id)).mappings().one()
    finally:
        engine.dispose()
    return sorted(item["path"] for item in json.loads(row["differences"]))
