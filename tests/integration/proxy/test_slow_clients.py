"""Slow and idle clients cost the proxy sockets, never threads (proxy.worker.IntakeWorker).

One worker with two threads, so that two clients holding a thread each would starve every
other request: functional checks only (who gets answered, with what); the figures at scale
are ``make hostile``.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import rawhttp
from tests.support.processes import ServerProcess
from tests.support.upstream import ROUTES, Upstream

SLOW = 30  # connections that stop mid-head or mid-body: fifteen times the threads


@pytest.fixture(scope="module")
def proxy(start_proxy, upstream: Upstream, sqlite_database: str,
          tmp_path_factory: pytest.TempPathFactory) -> ServerProcess:
    routes = tmp_path_factory.mktemp("slow") / "routes.yaml"
    routes.write_text(ROUTES)
    return start_proxy(routes, sqlite_database, LEGACY_URL=upstream.url, WEB_CONCURRENCY="1",
                       GUNICORN_THREADS="2", PROXY_CLIENT_HEADER_TIMEOUT="2",
                       PROXY_CLIENT_BODY_TIMEOUT="2", PROXY_CLIENT_SEND_TIMEOUT="2")


@pytest.fixture
def slow_clients(proxy: ServerProcess) -> Iterator[list[socket.socket]]:
    """Half a header block, a head and one byte of a body, or nothing at all, then silence."""
    starts = [b"GET /api/echo HTTP/1.1\r\nHost: x\r\nX-Half",
              rawhttp.request("POST", "/api/echo", {}, b"{", length=1000), b""]
    sockets = []
    for index in range(SLOW):
        sock = rawhttp.connect(proxy.port)
        sock.sendall(starts[index % len(starts)])
        sockets.append(sock)
    yield sockets
    for sock in sockets:
        sock.close()


def test_slow_clients_do_not_hold_the_threads(proxy: ServerProcess, slow_clients) -> None:
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        for _ in range(5):
            assert client.get("/health/live").status_code == 200
            assert client.get("/api/echo").status_code == 200
            assert client.post("/api/echo", content=b"x" * 100_000).json()["body_length"] \
                == 100_000


def test_a_slow_client_is_cut_at_its_deadline_with_408(proxy: ServerProcess,
                                                       slow_clients) -> None:
    answers = [rawhttp.read_response(sock, timeout=10) for sock in slow_clients]
    idle = answers[2::3]
    assert idle == [None] * len(idle)  # never sent a byte: closed without an answer
    for answer in answers[0::3] + answers[1::3]:
        assert answer is not None and answer.status == 408
        assert answer.json()["requestId"] == answer.headers["x-request-id"]
    log = Path(proxy.log_path).read_text()
    events = [json.loads(line)["event"] for line in log.splitlines()
              if line.startswith('{"event":"client_')]
    assert {"client_head_timeout", "client_body_timeout"} <= set(events)
    assert httpx.get(proxy.url + "/health").status_code == 200
    metrics = httpx.get(proxy.url + "/metrics").text
    assert 'strangler_proxy_client_timeouts_total{phase="head"}' in metrics


def test_a_client_that_stops_reading_its_response_is_cut(proxy: ServerProcess) -> None:
    size = 256 * 1024 * 1024
    with rawhttp.connect(proxy.port) as sock:
        sock.sendall(rawhttp.request("GET", f"/api/stream?mb={size // 2**20}"))
        time.sleep(4)  # stop reading for longer than PROXY_CLIENT_SEND_TIMEOUT (2 s)
        received = 0
        sock.settimeout(10)
        while chunk := sock.recv(1024 * 1024):
            received += len(chunk)
    assert received < size  # the proxy gave up on this client, its thread went back
    assert httpx.get(proxy.url + "/health/live", timeout=10).status_code == 200
    assert 'strangler_proxy_client_timeouts_total{phase="send"}' in httpx.get(
        proxy.url + "/metrics").text


def test_pipelined_requests_are_answered_in_order(proxy: ServerProcess) -> None:
    with rawhttp.connect(proxy.port) as sock:
        sock.sendall(rawhttp.request("POST", "/api/echo", {"X-Request-ID": "first"}, b"abc")
                     + rawhttp.request("GET", "/api/echo?n=2", {"X-Request-ID": "second"}))
        first, second = rawhttp.read_response(sock), rawhttp.read_response(sock)
    assert first is not None and second is not None
    assert (first.json()["body_length"], first.headers["x-request-id"]) == (3, "first")
    assert (second.json()["path"], second.headers["x-request-id"]) == ("/api/echo?n=2",
                                                                       "second")


def test_expect_100_continue_gets_one_interim_answer(proxy: ServerProcess) -> None:
    with rawhttp.connect(proxy.port) as sock:
        sock.sendall(rawhttp.request("POST", "/api/echo", {"Expect": "100-continue"},
                                     length=5))
        interim = rawhttp.read_response(sock)
        assert interim is not None and interim.status == 100
        sock.sendall(b"hello")
        final = rawhttp.read_response(sock)
    assert final is not None and final.status == 200
    assert final.json()["body_length"] == 5


def test_a_chunked_body_over_the_limit_is_413(proxy: ServerProcess) -> None:
    with rawhttp.connect(proxy.port) as sock:
        sock.sendall(rawhttp.request("POST", "/api/echo", {"Transfer-Encoding": "chunked"})
                     + b"%x\r\n" % (16 * 1024 * 1024))
        answer = rawhttp.read_response(sock)
    assert answer is not None and answer.status == 413


def test_past_the_pending_limit_the_oldest_slow_connection_goes(
        start_proxy, upstream: Upstream, sqlite_database: str, tmp_path: Path) -> None:
    routes = tmp_path / "routes.yaml"
    routes.write_text(ROUTES)
    proxy = start_proxy(routes, sqlite_database, LEGACY_URL=upstream.url, WEB_CONCURRENCY="1",
                        PROXY_MAX_PENDING_CONNECTIONS="5", PROXY_CLIENT_HEADER_TIMEOUT="30")
    sockets = []
    try:
        for _ in range(10):
            sock = rawhttp.connect(proxy.port)
            sock.sendall(b"GET /api/echo HTTP/1.1\r\nHost: x\r\n")
            sockets.append(sock)
            time.sleep(0.05)  # an order the worker sees
        assert httpx.get(proxy.url + "/api/echo", timeout=10).status_code == 200
        closed = []
        for sock in sockets:
            sock.settimeout(0.5)
            try:
                closed.append(sock.recv(1) == b"")
            except TimeoutError:
                closed.append(False)  # still held, as it should be while it is not oldest
        assert closed[:5] == [True] * 5 and closed[-4:] == [False] * 4
        assert 'strangler_proxy_connections_shed_total{reason="pending"}' in httpx.get(
            proxy.url + "/metrics").text
    finally:
        for sock in sockets:
            sock.close()
