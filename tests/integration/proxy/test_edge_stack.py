"""The rendered edge in front of the real proxy and the real legacy: the same answers.

Legacy (Node, SQLite) and the proxy run as deployed; nginx runs the edge rendered from a
routes.yaml where Flask serves ``GET /api/tags`` and legacy the rest. Every request below goes
through the edge and through the proxy alone, and the answers must be the same, whether the
edge sent it straight to legacy (on the canonical path) or to the proxy.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from backend.database import REPO_ROOT
from tests.performance.proxy.tools import require
from tests.support.edge import edge_process
from tests.support.processes import ServerProcess


@pytest.fixture(scope="module")
def stack(start_legacy, start_proxy, databases, tmp_path_factory: pytest.TempPathFactory
          ) -> tuple[ServerProcess, ServerProcess]:
    work = tmp_path_factory.mktemp("edge-stack")
    routes = work / "routes.yaml"
    legacy_tags = "  - route: GET /api/tags\n    serve: legacy\n"
    text = (REPO_ROOT / "routes.yaml").read_text()
    assert legacy_tags in text
    routes.write_text(text.replace(legacy_tags, legacy_tags.replace("legacy\n", "flask\n")))
    database = databases.create("sqlite")
    legacy = start_legacy(database)
    proxy = start_proxy(routes, database, LEGACY_URL=legacy.url)
    edge = edge_process(require("nginx")["nginx"], routes, legacy.url, proxy.url,
                        work / "nginx", workers=1).start()
    yield edge, proxy
    edge.stop()


def same(edge: ServerProcess, proxy: ServerProcess, method: str, path: str,
         **kwargs) -> httpx.Response:
    headers = {"X-Request-ID": "same-id", **kwargs.pop("headers", {})}  # errors carry it
    through_edge = httpx.request(method, edge.url + path, headers=headers, **kwargs)
    alone = httpx.request(method, proxy.url + path, headers=headers, **kwargs)
    assert (through_edge.status_code, through_edge.content) == (alone.status_code,
                                                                 alone.content), path
    assert through_edge.headers.get("content-type") == alone.headers.get("content-type")
    return through_edge


def test_the_edge_answers_as_the_proxy_does(stack, tmp_path: Path) -> None:
    edge, proxy = stack
    user = {"username": "edgy", "email": "edgy@example.com", "password": "edge-password"}
    created = httpx.post(edge.url + "/api/users", json={"user": user})  # straight to legacy
    assert created.status_code in (200, 201), created.text
    token = created.json()["user"]["token"]
    auth = {"Authorization": f"Token {token}"}
    article = {"title": "Edge article", "description": "d", "body": "b", "tagList": ["edge"]}
    posted = httpx.post(edge.url + "/api/articles", json={"article": article}, headers=auth)
    slug = posted.json()["article"]["slug"]
    same(edge, proxy, "GET", f"/api/articles/{slug}")
    same(edge, proxy, "GET", f"/API//Articles/{slug}/")  # canonical path to legacy
    same(edge, proxy, "GET", f"/api/articles/{slug}/comments", headers=auth)
    same(edge, proxy, "GET", "/api/user", headers=auth)
    same(edge, proxy, "GET", "/api/articles?tag=edge&limit=5")
    same(edge, proxy, "GET", "/api/tags")  # Flask's, through the proxy
    same(edge, proxy, "GET", "/api/%74ags")  # left to the proxy
    same(edge, proxy, "GET", "/api/nothing-here")  # unmatched: legacy's 404
    same(edge, proxy, "GET", "/api/articles/x%2Fy")  # the proxy's 400
    head = httpx.head(edge.url + f"/api/articles/{slug}")
    assert head.status_code == 200 and head.content == b""
    tagged = httpx.get(edge.url + "/api/tags", headers={"X-Request-ID": "edge-stack-1"})
    assert tagged.headers["x-request-id"] == "edge-stack-1"
    log = (Path(edge.log_path).parent / "access.log").read_text()
    assert '"route":"GET /api/articles/:slug","side":"legacy"' in log
