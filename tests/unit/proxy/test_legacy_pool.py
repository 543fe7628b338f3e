"""The legacy pool reuses a connection only after a request sent whole and a response read whole.

The upstream here answers at once, before reading any body, and keeps the connection open:
the worst case for a pool, where a half-sent body leaves the upstream waiting for bytes that
the next request on the same connection would supply.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from proxy.body import ShortBody
from proxy.legacy_client import Urllib3LegacyClient
from proxy.schema import Timeouts

TIMEOUTS = Timeouts(connect=1.0, read=2.0, pool=1.0)


class EarlyAnswerUpstream:
    """Answer ``200 ok`` to each request head at once; record connections and bytes."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections: list[bytearray] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            received = bytearray()
            self.connections.append(received)
            threading.Thread(target=self._serve, args=(sock, received), daemon=True).start()

    def _serve(self, sock: socket.socket, received: bytearray) -> None:
        with sock:
            try:
                while data := sock.recv(65536):
                    before = received.count(b"\r\n\r\n")
                    received += data
                    for _ in range(received.count(b"\r\n\r\n") - before):
                        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            except ConnectionError:
                pass  # the client closed a connection it would not reuse

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def upstream() -> Iterator[EarlyAnswerUpstream]:
    server = EarlyAnswerUpstream()
    yield server
    server.listener.close()


def _read(response) -> bytes:
    try:
        return b"".join(response.chunks)
    finally:
        response.close()


def _broken_after_first_chunk() -> Iterator[bytes]:
    yield b"0123456789"
    raise BrokenPipeError(32, "Broken pipe")  # urllib3 swallows it and reads the response


def test_a_connection_whose_body_was_cut_is_never_reused(upstream: EarlyAnswerUpstream) -> None:
    client = Urllib3LegacyClient(maxsize=1)
    early = client.send(upstream.url, "POST", "/a", {"content-length": "100"},
                        _broken_after_first_chunk(), TIMEOUTS)
    assert (early.status, _read(early)) == (200, b"ok")
    after = client.send(upstream.url, "GET", "/b", {}, None, TIMEOUTS)
    assert (after.status, _read(after)) == (200, b"ok")
    assert len(upstream.connections) == 2
    assert b"GET /b" not in upstream.connections[0]


def test_a_body_shorter_than_declared_raises_and_closes(upstream: EarlyAnswerUpstream) -> None:
    client = Urllib3LegacyClient(maxsize=1)
    with pytest.raises(ShortBody):
        client.send(upstream.url, "POST", "/a", {"content-length": "100"}, [b"x" * 10], TIMEOUTS)
    after = client.send(upstream.url, "GET", "/b", {}, None, TIMEOUTS)
    assert _read(after) == b"ok"
    assert len(upstream.connections) == 2


def test_whole_exchanges_keep_the_connection(upstream: EarlyAnswerUpstream) -> None:
    client = Urllib3LegacyClient(maxsize=1)
    for path in ("/a", "/b", "/c"):
        response = client.send(upstream.url, "POST", path, {"content-length": "3"}, [b"abc"],
                               TIMEOUTS)
        assert _read(response) == b"ok"
    assert len(upstream.connections) == 1


def test_a_connection_idle_past_the_limit_is_reopened(upstream: EarlyAnswerUpstream,
                                                      ) -> None:
    client = Urllib3LegacyClient(maxsize=1, idle_seconds=0.2)  # PROXY_LEGACY_IDLE_SECONDS
    assert _read(client.send(upstream.url, "GET", "/a", {}, None, TIMEOUTS)) == b"ok"
    assert _read(client.send(upstream.url, "GET", "/b", {}, None, TIMEOUTS)) == b"ok"
    time.sleep(0.3)  # longer than the idle limit: legacy may be closing it
    assert _read(client.send(upstream.url, "GET", "/c", {}, None, TIMEOUTS)) == b"ok"
    assert len(upstream.connections) == 2


def test_a_response_left_unread_closes_the_connection(upstream: EarlyAnswerUpstream) -> None:
    client = Urllib3LegacyClient(maxsize=1)
    client.send(upstream.url, "GET", "/a", {}, None, TIMEOUTS).close()  # body never read
    assert _read(client.send(upstream.url, "GET", "/b", {}, None, TIMEOUTS)) == b"ok"
    assert len(upstream.connections) == 2
