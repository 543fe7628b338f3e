"""Eight clients on one article through a real shadowing proxy in front of real legacy, with
the unmodified backend: however their writes interleave, not one comparison is a mismatch.

Favourites, comments and reads of the same article race each other (writes as dry-runs).
A difference caused by another client's write is ``concurrent_write``, never ``mismatch``:
a correctness property, asserted without any timing. The number of comparisons it costs is
printed (docs/shadow.md, "Concurrent writes"); STRANGLER_CONCURRENT_ROUNDS runs it longer.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess
from tests.support.shadow_proxy import comparisons, shadowed_routes

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]
CLIENTS = 8
ROUNDS = int(os.environ.get("STRANGLER_CONCURRENT_ROUNDS", "3"))


def register(api: httpx.Client, name: str) -> str:
    user = {"username": name, "email": f"{name}@example.com", "password": "password123"}
    response = api.post("/api/users", json={"user": user})
    assert response.status_code == 201, response.text
    return response.json()["user"]["token"]


def client_rounds(base_url: str, token: str, slug: str, sent: list[int],
                  failures: list[str]) -> None:
    """One client: favourite, read, comment, read the comments and the list, unfavourite."""
    headers = {"Authorization": f"Token {token}"}
    article = f"/api/articles/{slug}"
    try:
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as api:
            for n in range(ROUNDS):
                for method, path, body in (
                    ("POST", f"{article}/favorite", None),
                    ("GET", article, None),
                    ("POST", f"{article}/comments", {"comment": {"body": f"round {n}"}}),
                    ("GET", f"{article}/comments", None),
                    ("GET", "/api/articles", None),
                    ("DELETE", f"{article}/favorite", None),
                    ("GET", article, None),
                ):
                    response = api.request(method, path, json=body)
                    sent.append(1)
                    if response.status_code >= 300:
                        failures.append(f"{method} {path}: {response.status_code}")
    except Exception as error:  # reported by the main thread
        failures.append(repr(error))


def settled(database_url: str, expected: int, limit: float = 60.0) -> list[dict]:
    """Wait until the parity store holds ``expected`` comparisons (bounded by ``limit``)."""
    deadline = time.monotonic() + limit
    rows = comparisons(database_url)
    while len(rows) < expected and time.monotonic() < deadline:
        time.sleep(0.5)
        rows = comparisons(database_url)
    return rows


def test_eight_clients_on_one_article_make_no_false_mismatch(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(shadowed_routes(timeout=10.0), database, legacy.url,
                               GUNICORN_THREADS="24")  # 8 clients within the bulkheads
    with httpx.Client(base_url=proxy.url, timeout=30) as api:
        author = register(api, "author")
        created = api.post("/api/articles", headers={"Authorization": f"Token {author}"},
                           json={"article": {"title": "Contended", "description": "d",
                                             "body": "b", "tagList": ["race"]}})
        assert created.status_code == 201, created.text
        slug = created.json()["article"]["slug"]
        tokens = [register(api, f"client{n}") for n in range(CLIENTS)]
    before = len(settled(database, 2 + CLIENTS))
    sent: list[int] = []
    failures: list[str] = []
    threads = [threading.Thread(target=client_rounds, args=(proxy.url, token, slug, sent,
                                                            failures))
               for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    assert not failures, failures[:5]

    rows = settled(database, before + len(sent))[before:]
    outcomes = Counter(row["outcome"] for row in rows)
    by_route = Counter((row["route"], row["outcome"]) for row in rows)
    print(json.dumps({"clients": CLIENTS, "requests": len(sent), "outcomes": outcomes,
                      "by_route": {f"{r} {o}": c for (r, o), c in sorted(by_route.items())}},
                     indent=1))
    assert len(rows) == len(sent) == CLIENTS * ROUNDS * 7  # every request compared once
    assert outcomes["mismatch"] == 0, by_route
    assert outcomes["candidate_error"] == outcomes["timeout"] == 0, by_route
    assert outcomes["skipped_overload"] == outcomes["skipped_unsafe"] == 0, by_route
    assert "Traceback" not in proxy.log()
