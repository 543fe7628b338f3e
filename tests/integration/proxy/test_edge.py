"""The production topology: nginx (the rendered edge, proxy.edge) in front of the proxy.

Functional checks of what nginx is there for: slow clients held and cut by nginx, whole
requests only reaching the proxy, forwarding headers set (never appended to), limits.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support import rawhttp
from tests.support.logs import proxy_log
from tests.support.processes import ServerProcess
from tests.support.upstream import ROUTES, Upstream


@pytest.fixture(scope="module")
def stack(start_proxy, start_edge, upstream: Upstream, sqlite_database: str,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[ServerProcess, ServerProcess]:
    """nginx in front of a one-worker, two-thread proxy (two held threads would starve it)."""
    routes = tmp_path_factory.mktemp("edge") / "routes.yaml"
    routes.write_text(ROUTES)
    proxy = start_proxy(routes, sqlite_database, LEGACY_URL=upstream.url, WEB_CONCURRENCY="1",
                        GUNICORN_THREADS="2", PROXY_LEGACY_CONCURRENCY="2",
                        FORWARDED_ALLOW_IPS="127.0.0.1",
                        PROXY_MAX_BODY_BYTES=str(1024 * 1024))
    return start_edge(proxy, max_body=1024 * 1024), proxy


def test_nginx_sets_the_forwarding_headers_and_the_proxy_believes_them(stack) -> None:
    nginx, _ = stack
    forged = {"X-Forwarded-For": "6.6.6.6", "X-Real-IP": "6.6.6.6", "X-Request-ID": "edge-1",
              "X-Strangler-Dry-Run": "forged"}
    echo = httpx.get(nginx.url + "/api/echo", headers=forged).json()
    seen = dict(echo["headers"])
    assert seen["x-forwarded-for"] == "127.0.0.1"  # nginx's X-Real-IP, not the client's
    assert seen["x-request-id"] == "edge-1"
    assert "x-real-ip" not in seen and "x-strangler-dry-run" not in seen
    made = httpx.get(nginx.url + "/api/echo")
    assert made.headers["x-request-id"] == dict(made.json()["headers"])["x-request-id"]


def test_slow_and_idle_clients_stay_in_nginx(stack) -> None:
    nginx, _ = stack
    starts = [b"GET /api/echo HTTP/1.1\r\nHost: x\r\nX-Half",
              rawhttp.request("POST", "/api/echo", {}, b"{", length=1000), b""]
    sockets = []
    try:
        for index in range(60):
            sock = rawhttp.connect(nginx.port)
            sock.sendall(starts[index % len(starts)])
            sockets.append(sock)
        with httpx.Client(base_url=nginx.url, timeout=10) as client:
            for _ in range(5):
                assert client.get("/health/live").status_code == 200
                assert client.post("/api/echo", content=b"x" * 1000).json()["body_length"] \
                    == 1000
    finally:
        for sock in sockets:
            sock.close()


def test_short_bodies_never_reach_the_proxy_and_victims_get_their_answers(stack) -> None:
    nginx, proxy = stack
    for then in ("shut", "reset"):
        rawhttp.send(nginx.port, rawhttp.request("POST", "/api/echo",
                                                 {"X-Request-ID": f"short-{then}"},
                                                 b"0123456789", length=1000), then=then)

    def victim(index: int) -> None:
        response = httpx.post(nginx.url + "/api/echo", content=b"v" * index,
                              headers={"X-Request-ID": f"victim-{index}"})
        assert response.json()["body_length"] == index
        assert response.headers["x-request-id"] == f"victim-{index}"

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(victim, range(1, 25)))
    for _ in range(50):  # the proxy logs a request just after its response has gone
        ids = {line["request_id"] for line in proxy_log(proxy)}
        if {f"victim-{index}" for index in range(1, 25)} <= ids:
            break
        time.sleep(0.1)
    assert {f"victim-{index}" for index in range(1, 25)} <= ids
    assert not {"short-shut", "short-reset"} & ids  # nginx kept the short bodies


def test_bodies_over_the_limit_are_refused_by_nginx(stack) -> None:
    nginx, _ = stack
    over = httpx.post(nginx.url + "/api/echo", content=b"x" * (1024 * 1024 + 1))
    assert over.status_code == 413
    chunked = httpx.post(nginx.url + "/api/echo", content=iter([b"x" * 65536] * 17))
    assert chunked.status_code == 413
    fits = httpx.post(nginx.url + "/api/echo", content=iter([b"x" * 65536] * 16))
    assert fits.json()["body_length"] == 1024 * 1024


def test_a_slow_header_is_cut_by_nginx(stack) -> None:
    nginx, _ = stack
    with rawhttp.connect(nginx.port, timeout=15) as sock:
        sock.sendall(b"GET /api/echo HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(15)
        try:
            data = sock.recv(65536)  # nginx closes after client_header_timeout (5 s)
        except (TimeoutError, ConnectionError) as error:
            data = type(error).__name__.encode()
    assert data in (b"", b"ConnectionResetError") or data.startswith(b"HTTP/1.1 408")
