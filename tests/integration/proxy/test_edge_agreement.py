"""The rendered edge decides as the proxy does: one generated table through both.

A real nginx runs the configuration ``strangler edge nginx`` renders, in front of two
recording upstreams on loopback (one plays legacy, one the proxy): each answers with who it is
and the request target it received. Every case of the table (methods, case, ``//``, trailing
slashes, encoded characters and slashes, dot segments, non-ASCII, HEAD, OPTIONS preflights,
unmatched paths, the proxy's own paths) goes through nginx, and its outcome is compared with
the proxy's own decision (``canonical_segments`` and ``RouteTable.decide``):

* what the proxy would only pass to legacy (a plain legacy route, or unmatched under
  ``default: legacy``) must reach legacy straight from nginx, on the very path the proxy
  would have sent, with the query as sent, unless the edge leaves the path to the proxy by
  its documented rule (a byte outside RFC 3986's path characters, ``%`` included; OPTIONS; an
  unmatched path not in canonical form);
* everything else must reach the proxy with the request target exactly as the client sent it
  (or, for a path the proxy refuses with 400, may be refused by nginx itself).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from proxy.dispatch import OWN_PATHS
from proxy.edge_routes import EdgeSettings, write
from proxy.patterns import BadPath, canonical_segments, raw_path
from proxy.table import RouteTable
from proxy.validation import load_table
from tests.support import rawhttp
from tests.support.edge import nginx_on, recorder
from tests.support.processes import ServerProcess, free_port

ROUTES = """\
legacy: {url: http://127.0.0.1:9}
default: %(default)s
shadow: {unmatched: %(unmatched)s}
routes:
  - {route: GET /api/tags, serve: legacy}
  - {route: GET /api/articles, serve: flask}
  - {route: GET /api/articles/feed, serve: legacy}
  - {route: GET /api/articles/:slug, serve: flask}
  - {route: PUT /api/articles/:slug, serve: legacy}
  - {route: DELETE /api/articles/:slug, serve: legacy, shadow: flask}
  - {route: GET /api/articles/:slug/comments, serve: legacy}
  - {route: POST /api/articles/:slug/comments, serve: {flask: 50, legacy: 50}}
  - {route: DELETE /api/articles/:slug/comments/:id, serve: legacy}
  - {route: GET /api/profiles/:username, serve: legacy}
  - {route: GET /api/profiles/celebrity, serve: flask}
  - {route: POST /api/profiles/:username/follow, serve: legacy}
  - {route: HEAD /api/user, serve: flask}
  - {route: GET /api/user, serve: legacy}
  - {route: PUT /api/user, serve: flask}
  - {route: POST /api/users/login, serve: legacy}
  - {route: OPTIONS /api/options-only, serve: legacy}
  - {route: GET /, serve: legacy}
  - {route: "GET /api/odd-$chars;v=1/:x", serve: legacy}
"""
TABLES = {
    "default legacy": {"default": "legacy", "unmatched": "null"},
    "default flask": {"default": "flask", "unmatched": "null"},
    "default legacy, unmatched compared": {"default": "legacy", "unmatched": "flask"},
}
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")
READABLE = "/._~!$&'()*+,;=:@-"  # RFC 3986 path characters besides letters, digits and '%'
PREFLIGHTS = (None, "GET", "post", " DELETE ", "PUT", "HEAD", "OPTIONS", "FOO")
PATHS = (
    "/api/tags", "/API/Tags", "/api//tags", "//api/tags", "/api/tags/", "/api/tags//",
    "/api/%74ags", "/api/tags%2F", "/api%2Ftags", "/api/./tags", "/api/x/../tags", "/api/tags/.",
    "/api/%2e%2e/tags", "/api\\tags", "/api/tags%", "/api/tags%zz", "/api/tags?limit=5&x=%2F",
    "/api/tags?", "/api/articles", "/api/articles/feed", "/API/ARTICLES/FEED/",
    "/api/articles/how-to", "/api/articles/How~To_1.2", "/api/articles/a%20b",
    "/api/articles/%C3%A9t%C3%A9", "/api/articles/\u00e9t\u00e9", "/api/articles/..",
    "/api/articles/...", "/api/articles/how-to/comments", "/api/articles//how-to//comments/",
    "/api/articles/how-to/comments/7", "/api/articles/how-to/comments/7?x=1",
    "/api/profiles/jake", "/api/profiles/celebrity", "/api/profiles/CELEBRITY",
    "/api/profiles/jake@x.io", "/api/profiles/j(a)ke!", "/api/profiles/jake/follow",
    "/api/user", "/api/users/login", "/api/options-only", "/", "//", "/?q=1",
    "/api/odd-$chars;v=1/y", "/API/ODD-$CHARS;V=1/Y/", "/api/odd-%24chars;v=1/y",
    "/nope", "/nope/", "/Nope//deeper", "/api", "/api/tagsx", "/api/tags/extra",
    "/health", "/HEALTH", "/health/", "/metrics?x=1", "/health/live", "/_strangler/routes",
    "/_strangler", "/api/tags#frag", "/api/\"quoted\"", "/api/<tags>",
)


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[int, int]]:
    with recorder("legacy") as legacy, recorder("proxy") as proxy:
        yield legacy, proxy


@dataclass
class Edge:
    table: RouteTable
    server: ServerProcess


@pytest.fixture(scope="module", params=list(TABLES))
def edge(request: pytest.FixtureRequest, upstreams: tuple[int, int],
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    table = load_table(ROUTES % TABLES[request.param], "routes.yaml", None)
    prefix = tmp_path_factory.mktemp("edge")
    port = free_port()
    legacy, proxy = upstreams
    settings = EdgeSettings(listen=f"127.0.0.1:{port}", proxy=f"127.0.0.1:{proxy}",
                            legacy=f"127.0.0.1:{legacy}", prefix=prefix, workers="1",
                            access_log=str(prefix / "access.log"),
                            error_log=str(prefix / "error.log"))
    config = write(table, settings, prefix / "nginx.conf")
    server = nginx_on(config, prefix, port).start()
    yield Edge(table, server)
    server.stop()


def expected(table: RouteTable, method: str, target: str, asked: str | None
             ) -> tuple[str, str]:
    """Return what the edge must do, from the proxy's own decision: (upstream, target)."""
    path, _, query = target.partition("?")
    own = path in OWN_PATHS or path.startswith("/_strangler/")
    try:
        segments = canonical_segments(raw_path({"RAW_URI": target}))
    except BadPath:
        return "refused", target
    environ = {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": asked} if asked is not None else {}
    decision = table.decide(method, segments, environ)
    # The proxy only passes it to legacy: legacy serves it, not by a canary's draw, and no
    # comparison is made (the proxy's own experiment_for).
    to_legacy = (not own and decision.side == "legacy" and table.experiment_for(decision) is None
                 and (decision.route is None or decision.route.entry.serve == "legacy"))
    if not to_legacy:
        return "proxy", target
    # The edge's documented rule: it reads only RFC 3986 path characters without '%', leaves
    # OPTIONS to the proxy (it reads the preflight's header), and sends unmatched requests
    # straight only when they are already canonical.
    readable = all(c.isascii() and (c.isalnum() or c in READABLE) for c in path)
    if method == "OPTIONS" or not readable or (decision.route is None
                                               and path != decision.path):
        return "proxy", target
    return "legacy", decision.path + ("?" + query if query else "")


def through(edge: Edge, method: str, target: str, asked: str | None) -> tuple[str, str]:
    """Send one request through nginx; return (upstream, target it received) or refused."""
    headers = {"Access-Control-Request-Method": asked} if asked is not None else {}
    lines = [f"{method} {target} HTTP/1.1", "Host: strangler.test", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")  # non-ASCII sent as UTF-8
    response = rawhttp.send(edge.server.port, data)
    assert response is not None, f"{method} {target}: no answer"
    if "x-upstream" not in response.headers:
        return ("refused" if response.status == 400 else f"nginx {response.status}"), target
    received = response.headers["x-target"].encode("latin-1").decode("utf-8")
    return response.headers["x-upstream"], received


def cases() -> list[tuple[str, str, str | None]]:
    plain = [(m, p, None) for m, p in itertools.product(METHODS, PATHS)]
    options = [("OPTIONS", p, a) for p, a in itertools.product(PATHS, PREFLIGHTS)]
    return plain + options


def test_the_edge_decides_every_case_as_the_proxy_does(edge: Edge) -> None:
    disagreements, straight = [], 0
    for method, target, asked in cases():
        want = expected(edge.table, method, target, asked)
        got = through(edge, method, target, asked)
        if want[0] == "refused":
            ok = got[0] == "refused" or got == ("proxy", target)
        else:
            ok = got == want
        straight += got[0] == "legacy"
        if not ok:
            disagreements.append(f"{method} {target!r} (ACRM {asked!r}): proxy says {want},"
                                 f" edge did {got}")
    assert not disagreements, f"{len(disagreements)} of {len(cases())}:\n" + "\n".join(
        disagreements[:40])
    # The edge does its job: a good share of the table goes straight to legacy.
    assert straight > len(PATHS) // 2

