"""Writes the candidate must not make fail as the candidate's own, and never reach the data:
a write during a mirrored read (read-only transaction), a dry-run write on its own connection."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
import sqlalchemy as sa

from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess
from tests.support.shadow_proxy import shadowed_routes, wait_for_comparisons

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]
ALTERED = "tests.integration.shadow_proxy.altered:app"


def bios(database_url: str) -> list[str | None]:
    engine = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text("SELECT bio FROM users ORDER BY id")).scalars())
    finally:
        engine.dispose()


@pytest.mark.parametrize("worker_class", ["gthread", "gevent"])
def test_writes_on_reads_and_escaped_dry_run_writes_are_the_candidates_failures(
    worker_class: str,
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    http: Callable[[str], httpx.Client],
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(shadowed_routes(), database, legacy.url, app=ALTERED,
                               worker_class=worker_class)
    api = http(proxy.url)
    user = {"username": "reader", "email": "reader@example.com", "password": "password123"}
    token = api.post("/api/users", json={"user": user}).json()["user"]["token"]
    auth = {"Authorization": f"Token {token}"}
    plain = api.get("/api/tags", headers={"X-Request-ID": "plain"})
    rewrite = api.get("/api/tags", headers={"X-Request-ID": "write-on-read",
                                            "X-Test-Alter": "write-on-read"})
    escape = api.put("/api/user", headers={**auth, "X-Request-ID": "escape",
                                          "X-Test-Alter": "escape"},
                     json={"user": {"bio": "mine"}})
    # the client gets the control's answers; the effects report never reaches it
    assert (rewrite.status_code, rewrite.content) == (plain.status_code, plain.content)
    assert escape.status_code == 200 and escape.json()["user"]["bio"] == "mine"
    for response in (plain, rewrite, escape):
        assert not any(name.lower().startswith("x-strangler") for name in response.headers)

    rows = wait_for_comparisons(database, 4)
    by_id = {row["request_id"]: row for row in rows}
    assert by_id["plain"]["outcome"] == "match"
    assert by_id["write-on-read"]["outcome"] == "candidate_error"
    assert by_id["escape"]["outcome"] == "escaped_write"
    assert bios(database) == ["mine"]  # legacy's write only: nothing of the candidate's
