"""Each write through the proxy is registered with the resources it touches, until it answers."""

from __future__ import annotations

import time

import pytest

from proxy.concurrency import resources
from proxy.patterns import RoutePattern

ROUTES = """\
routes:
  - route: GET /api/articles/:slug
    serve: flask
  - route: POST /api/articles/:slug/comments
    serve: flask
"""


def of(route: str, path: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return resources(RoutePattern.parse(route).segments, [p for p in path.split("/") if p])


@pytest.mark.parametrize("route, path, reads, marks", [
    ("GET /api/articles/:slug", "/api/articles/how-to",
     ("/api/articles/how-to",), ("/api/articles/how-to", "/api/articles")),
    ("POST /api/articles/:slug/comments", "/api/articles/how-to/comments",
     ("/api/articles/how-to",), ("/api/articles/how-to", "/api/articles")),
    ("DELETE /api/articles/:slug/comments/:id", "/api/articles/how-to/comments/3",
     ("/api/articles/how-to", "/api/articles/how-to/comments/3"),
     ("/api/articles/how-to", "/api/articles/how-to/comments/3", "/api/articles")),
    ("GET /api/articles/feed", "/api/articles/feed",
     ("/api/articles/feed", "/api/articles", "/api"), ("/api/articles/feed",)),
    ("PUT /api/user", "/api/user", ("/api/user", "/api"), ("/api/user",)),
    ("GET /API/Articles/:slug", "/api/articles/How-To",  # literals as the pattern has them
     ("/api/articles/How-To",), ("/api/articles/How-To", "/api/articles")),
])
def test_reads_depend_on_members_and_writes_mark_members_and_their_collection(
        route: str, path: str, reads: tuple[str, ...], marks: tuple[str, ...]) -> None:
    assert of(route, path) == (reads, marks)


def test_a_list_read_races_a_write_to_any_of_its_members() -> None:
    list_reads, _ = of("GET /api/articles", "/api/articles")
    _, favourite = of("POST /api/articles/:slug/favorite", "/api/articles/how-to/favorite")
    member_reads, _ = of("GET /api/articles/:slug", "/api/articles/other")
    assert set(list_reads) & set(favourite)
    assert not set(member_reads) & set(favourite)  # another article is another resource


def test_an_unmatched_path_is_one_collection() -> None:
    assert resources(None, ["x", "y"]) == (("/x/y", "/x"), ("/x/y",))
    assert resources(None, []) == (("/",), ("/",))


def test_a_write_through_the_proxy_is_registered_until_it_has_answered(make_proxy) -> None:
    app = make_proxy(ROUTES)
    client = app.test_client()
    before = time.time()
    assert client.get("/api/articles/how-to").status_code == 200
    response = client.post("/api/articles/how-to/comments", data=b"{}")
    assert response.status_code == 201
    response.close()  # the response has been sent: the write has answered
    writes = app.extensions["strangler"].shadowing.writes
    assert len(writes) == 1  # the read registered nothing
    assert writes.overlapping(["/api/articles/how-to"], before, time.time()) == [
        "/api/articles/how-to"]
    assert writes.overlapping(["/api/articles"], before, time.time()) == ["/api/articles"]
    later = time.time() + 3600
    assert writes.overlapping(["/api/articles/how-to"], later, later + 1) == []  # it ended
