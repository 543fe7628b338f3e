"""Mirrored writes run on the Flask candidate as dry-runs: nothing of theirs stays behind,
and they see the state legacy saw, so they compare like with like."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa

from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess
from tests.support.shadow_proxy import shadowed_routes, wait_for_comparisons

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]
TABLES = ("users", "follows", "articles", "tags", "article_tags", "favorites", "comments")


def row_counts(database_url: str) -> dict[str, int]:
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            return {t: connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                    for t in TABLES}
    finally:
        engine.dispose()


def test_dry_run_writes_leave_nothing_and_compare_like_with_like(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    http: Callable[[str], httpx.Client],
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(shadowed_routes(), database, legacy.url)
    api = http(proxy.url)
    expected: dict[str, int] = dict.fromkeys(TABLES, 0)

    def write(method: str, path: str, grows: dict[str, int], token: str | None = None,
              **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Token {token}"} if token else {}
        # A forged marker from a client is dropped by the proxy, never reaches a side.
        headers["X-Strangler-Dry-Run"] = "forged.by.the-client"
        response = api.request(method, path, headers=headers, **kwargs)
        assert response.status_code < 300, response.text
        for table, delta in grows.items():
            expected[table] += delta
        assert row_counts(database) == expected, (method, path)
        return response

    def register(name: str) -> str:
        user = {"username": name, "email": f"{name}@example.com", "password": "password123"}
        return write("POST", "/api/users", {"users": 1}, json={"user": user}).json()["user"][
            "token"]

    alice, bob = register("alice"), register("bob")
    slug = write("POST", "/api/articles", {"articles": 1, "tags": 2, "article_tags": 2}, alice,
                 json={"article": {"title": "Dry run", "description": "d", "body": "b",
                                   "tagList": ["dry", "run"]}}).json()["article"]["slug"]
    write("POST", f"/api/articles/{slug}/favorite", {"favorites": 1}, bob)
    write("POST", "/api/profiles/alice/follow", {"follows": 1}, bob)
    write("POST", f"/api/articles/{slug}/comments", {"comments": 1}, bob,
          json={"comment": {"body": "Nice"}})
    write("PUT", f"/api/articles/{slug}", {}, alice, json={"article": {"body": "Changed"}})
    write("DELETE", f"/api/articles/{slug}/favorite", {"favorites": -1}, bob)
    write("DELETE", "/api/profiles/alice/follow", {"follows": -1}, bob)

    rows = wait_for_comparisons(database, 9)
    assert [(r["method"], r["route"], r["outcome"]) for r in rows] == [
        ("POST", "POST /api/users", "match"),
        ("POST", "POST /api/users", "match"),
        ("POST", "POST /api/articles", "match"),
        ("POST", "POST /api/articles/:slug/favorite", "match"),
        ("POST", "POST /api/profiles/:username/follow", "match"),
        ("POST", "POST /api/articles/:slug/comments", "match"),
        ("PUT", "PUT /api/articles/:slug", "match"),
        ("DELETE", "DELETE /api/articles/:slug/favorite", "match"),
        ("DELETE", "DELETE /api/profiles/:username/follow", "match"),
    ]
    assert "Traceback" not in proxy.log()


def test_writes_are_skipped_visibly_without_dry_run_and_big_bodies_are_not_compared(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    http: Callable[[str], httpx.Client],
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(shadowed_routes(dry_run=False),
                               database, legacy.url, SHADOW_MAX_BODY_BYTES="100")
    api = http(proxy.url)
    user = {"username": "carol", "email": "carol@example.com", "password": "password123"}
    created = api.post("/api/users", json={"user": user})
    assert created.status_code == 201
    assert row_counts(database)["users"] == 1
    assert api.get("/api/tags").content == b'{"tags":[]}'
    me = api.get("/api/user", headers={"Authorization": "Token " + created.json()["user"]["token"]})
    assert me.status_code == 200 and len(me.content) > 100  # the client gets it all
    rows = wait_for_comparisons(database, 3)
    assert sorted((r["route"], r["outcome"], r["control_status"]) for r in rows) == [
        ("GET /api/tags", "match", 200),
        ("GET /api/user", "ignored", 200),  # over the 100-byte tee: not compared
        ("POST /api/users", "skipped_unsafe", 201),
    ]
