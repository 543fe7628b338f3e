"""OPTIONS and unmatched requests through a real shadow proxy (legacy serves, Flask compared):
a preflight is compared under the route whose method it asks about, a plain OPTIONS under
its path's route, and with ``shadow.unmatched`` requests no route matches are compared too."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess
from tests.support.shadow_proxy import shadowed_routes, wait_for_comparisons

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]
ORIGIN = "http://app.example.test"


def test_preflights_plain_options_and_unmatched_requests_are_compared(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    http: Callable[[str], httpx.Client],
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    routes_text = shadowed_routes().replace("shadow:\n", "shadow:\n  unmatched: flask\n", 1)
    proxy = start_shadow_proxy(routes_text, database, legacy.url)
    api = http(proxy.url)
    asks = [("PUT", "/api/articles/some-slug"), ("POST", "/api/articles/some-slug/comments"),
            ("DELETE", "/api/articles/some-slug/favorite")]
    for method, path in asks:
        response = api.options(path, headers={"Origin": ORIGIN,
                                              "Access-Control-Request-Method": method,
                                              "Access-Control-Request-Headers": "authorization"})
        assert response.status_code < 300, response.text
    assert api.options("/api/tags", headers={"Origin": ORIGIN}).status_code < 300
    assert api.get("/api/no-such-thing").status_code == 404

    rows = wait_for_comparisons(database, len(asks) + 2)
    seen = {(row["route"], row["method"]): row["outcome"] for row in rows}
    assert seen == {
        ("PUT /api/articles/:slug", "OPTIONS"): "match",
        ("POST /api/articles/:slug/comments", "OPTIONS"): "match",
        ("DELETE /api/articles/:slug/favorite", "OPTIONS"): "match",
        ("GET /api/tags", "OPTIONS"): "match",
        ("(unmatched)", "GET"): "match",  # the backend answers Express's 404 page
    }, seen
    assert "Traceback" not in proxy.log()
