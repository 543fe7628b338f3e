"""Status lines on the wire (issue 14): the reason phrases legacy (Node's http.STATUS_CODES)
sends, read off a raw socket, from legacy itself, from the backend alone under gunicorn, and
through the real proxy serving every route from Flask (in-process) or from legacy."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import routes
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess, backend_process, proxy_process

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]
EXPECTED = {  # request -> Node's status line
    ("GET", "/api/tags", b""): b"HTTP/1.1 200 OK",
    ("POST", "/api/users", b"{}"): b"HTTP/1.1 422 Unprocessable Entity",
    ("GET", "/api/user", b""): b"HTTP/1.1 401 Unauthorized",
    ("GET", "/api/articles/no-such-article", b""): b"HTTP/1.1 404 Not Found",
    ("GET", "/api/no-such-route", b""): b"HTTP/1.1 404 Not Found",
    ("OPTIONS", "/api/tags", b""): b"HTTP/1.1 204 No Content",
    ("POST", "/api/users", b'{"user":'): b"HTTP/1.1 400 Bad Request",
    ("GET", "/api/articles?limit=0", b""): b"HTTP/1.1 422 Unprocessable Entity",
}


def status_line(port: int, method: str, target: str, body: bytes) -> bytes:
    request = (f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
               f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
               ).encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        received = b""
        while b"\r\n" not in received:
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
    return received.split(b"\r\n", 1)[0]


def test_every_side_sends_nodes_reason_phrases(
    databases: DatabaseFactory, start_legacy: Callable[..., ServerProcess],
    artifacts_dir: Path, tmp_path: Path,
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    servers = {"legacy": legacy}
    started = []
    try:
        servers["backend (gunicorn)"] = backend_process(database, artifacts_dir).start()
        started.append(servers["backend (gunicorn)"])
        for side in ("flask", "legacy"):
            routes_file = tmp_path / f"routes-{side}.yaml"
            routes_file.write_text(routes.routes_yaml(side, default=side))
            metrics = tmp_path / f"metrics-{side}"
            metrics.mkdir()
            proxy = proxy_process(routes_file, database, artifacts_dir, metrics,
                                  name=f"status-proxy-{side}", LEGACY_URL=legacy.url,
                                  WEB_CONCURRENCY="1").start()
            started.append(proxy)
            servers[f"proxy ({side})"] = proxy
        wrong = [(name, request, line) for name, server in servers.items()
                 for request, expected in EXPECTED.items()
                 if (line := status_line(server.port, *request)) != expected]
    finally:
        for server in started:
            server.stop()
    assert not wrong, wrong
