"""A candidate that hangs, errors or answers garbage never changes what the client gets;
seeded differences are reported on the right route with the right field path."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa

from shadow import engine_from_url, schema
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess
from tests.support.shadow_proxy import shadowed_routes, wait_for_comparisons

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]
ALTERED = "tests.integration.shadow_proxy.altered:app"


def differing_paths(database_url: str, request_id: str) -> list[str]:
    engine = engine_from_url(database_url)
    c, d = schema.comparisons, schema.differences
    try:
        with engine.connect() as connection:
            return list(connection.execute(
                sa.select(d.c.path).join(c, c.c.id == d.c.comparison_id)
                .where(c.c.request_id == request_id)).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize("worker_class", ["gthread", "gevent"])
def test_bad_candidates_and_seeded_differences(
    worker_class: str,
    shadow_path: dict[str, str],
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    start_worker: Callable[..., ServerProcess | None],
    http: Callable[[str], httpx.Client],
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(shadowed_routes(timeout=1.0), database, legacy.url, app=ALTERED,
                               worker_class=worker_class, **shadow_path)
    worker = start_worker(proxy, app=ALTERED)  # queued: the seeded backend is the worker's
    api = http(proxy.url)
    token = api.post("/api/users", json={"user": {"username": "shadowed", "email":
                     "shadowed@example.com", "password": "password123"}}).json()["user"]["token"]
    auth = {"Authorization": f"Token {token}"}
    slug = api.post("/api/articles", headers=auth, json={"article": {
        "title": "Seeded", "description": "d", "body": "b", "tagList": ["one", "two"]}},
    ).json()["article"]["slug"]

    def get(path: str, rid: str, how: str | None = None) -> httpx.Response:
        headers = {"X-Request-ID": rid, **({"X-Test-Alter": how} if how else {})}
        return api.get(path, headers=headers)

    # The control is never hurt: the same answers with and without a broken candidate.
    for how in ("hang", "error", "garbage"):
        plain, broken = get(f"/api/articles/{slug}", f"plain-{how}"), get(
            f"/api/articles/{slug}", f"broken-{how}", how)
        assert (broken.status_code, broken.content) == (plain.status_code, plain.content)
        assert broken.headers["content-type"] == plain.headers["content-type"]
        assert plain.status_code == 200

    seeded = {  # how -> (path, the differing field path)
        "status": ("/api/tags", "status"),
        "missing": (f"/api/articles/{slug}", "body.article.description"),
        "extra": (f"/api/articles/{slug}", "body.article.extra"),
        "null": (f"/api/articles/{slug}", "body.article.description"),
        "order": ("/api/tags", "body.tags"),
        "count": ("/api/articles", "body.articlesCount"),
        "content-type": ("/api/tags", "headers.content-type"),
        "message": ("/api/articles/no-such-article", "body.errors"),
    }
    for how, (path, _) in seeded.items():
        assert get(path, f"seeded-{how}", how).status_code in (200, 404)

    rows = wait_for_comparisons(database, 2 + 6 + len(seeded))
    by_id = {row["request_id"]: row for row in rows}
    assert by_id["broken-hang"]["outcome"] == "timeout"
    assert by_id["broken-error"]["outcome"] == "candidate_error"
    assert by_id["broken-garbage"]["outcome"] == "mismatch"
    for how in ("hang", "error", "garbage"):
        assert by_id[f"plain-{how}"]["outcome"] == "match"
    writes = [row for row in rows if row["method"] == "POST"]  # dry-runs: in-process always
    assert {row["route"] for row in writes} == {"POST /api/users", "POST /api/articles"}
    assert {row["outcome"] for row in writes} == {"match"}

    routes = {"/api/tags": "GET /api/tags", "/api/articles": "GET /api/articles"}
    for how, (path, field) in seeded.items():
        row = by_id[f"seeded-{how}"]
        assert row["outcome"] == "mismatch", how
        assert row["route"] == routes.get(path, "GET /api/articles/:slug"), how
        paths = differing_paths(database, f"seeded-{how}")
        assert any(p == field or p.startswith(field + ".") or p.startswith(field + "[")
                   for p in paths), (how, paths)
    assert "Traceback" not in proxy.log()
    if worker is not None:
        assert all(by_id[rid]["exchange_key"] for rid in by_id if rid.startswith("seeded-"))
        assert "Traceback" not in worker.log()
