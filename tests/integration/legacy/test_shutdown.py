"""SIGTERM: legacy stops accepting, lets the request in flight finish and exits 0."""

from __future__ import annotations

import json
import signal
import socket
from collections.abc import Callable

import httpx
import pytest

from tests.support.processes import ServerProcess

pytestmark = [pytest.mark.legacy, pytest.mark.postgres]


def test_sigterm_exits_0_with_an_idle_keep_alive_connection(
    legacy_database: str, start_legacy: Callable[..., ServerProcess]
) -> None:
    server = start_legacy(legacy_database)
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/api/tags").status_code == 200  # leaves a pooled connection open
        assert server.stop() == 0
    assert "SIGTERM received" in server.log()


def test_sigterm_lets_the_request_in_flight_finish(
    legacy_database: str, start_legacy: Callable[..., ServerProcess]
) -> None:
    server = start_legacy(legacy_database)
    assert server.proc is not None
    body = json.dumps({"user": {"username": "late"}}).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(
            b"POST /api/users HTTP/1.1\r\nHost: legacy\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body[:5]
        )
        assert httpx.get(server.url + "/api/tags").status_code == 200  # the request is in
        server.proc.send_signal(signal.SIGTERM)
        sock.sendall(body[5:])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 422 Unprocessable Entity\r\n")
    expected = {"errors": {"email": ["can't be blank"], "password": ["can't be blank"]}}
    assert answer.endswith(json.dumps(expected, separators=(",", ":")).encode())
    assert server.proc.wait(timeout=10) == 0
