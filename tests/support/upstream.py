"""A small HTTP/1.1 upstream for forwarding edge cases: echo, slow, stream, redirect, gzip, hop.

It runs in a thread of the test process (http.server), so each behaviour is a few lines and
the raw headers it sends and receives are fully under the test's control.
"""

from __future__ import annotations

import gzip
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# The route table of the proxy tests that forward to this upstream (LEGACY_URL overrides).
ROUTES = """\
legacy:
  url: http://127.0.0.1:9
  timeouts: {connect: 1.0, read: 1.0, pool: 1.0}
routes:
  - route: GET /api/echo
    serve: legacy
  - route: POST /api/echo
    serve: legacy
"""
GZIPPED = gzip.compress(b'{"tags":["gzip"]}' * 50)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args: object) -> None:
        pass

    def _query(self, name: str, default: str) -> str:
        return parse_qs(urlsplit(self.path).query).get(name, [default])[0]

    def _send(self, status: int, body: bytes, headers: list[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            data = b""
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self) -> None:
        route = urlsplit(self.path).path
        body = self._read_body()
        if route.endswith("/slow"):
            time.sleep(float(self._query("seconds", "3")))
            self._send(200, b'{"slow":true}')
        elif route.endswith("/stream"):
            self._stream(int(self._query("mb", "1")))
        elif route.endswith("/redirect"):
            self._send(302, b"", [("Location", "/api/echo?redirected=1")])
        elif route.endswith("/gzip"):
            self._send(200, GZIPPED, [("Content-Encoding", "gzip"),
                                      ("Content-Type", "application/json")])
        elif route.endswith("/hop"):
            self._send(200, b"{}", [("Connection", "X-Hop-Secret, keep-alive"),
                                    ("X-Hop-Secret", "1"), ("Keep-Alive", "timeout=5"),
                                    ("Proxy-Authenticate", "Basic"), ("X-End-To-End", "kept"),
                                    ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        else:
            echo = {"method": self.command, "path": self.path,
                    "headers": [[k.lower(), v] for k, v in self.headers.items()],
                    "body_length": len(body)}
            self._send(200, json.dumps(echo).encode(), [("Content-Type", "application/json")])

    def _stream(self, megabytes: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        block = b"x" * (1024 * 1024)
        for _ in range(megabytes):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
        self.wfile.write(b"0\r\n\r\n")

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


class _Server(ThreadingHTTPServer):
    """The upstream's server: a client that hangs up mid-answer is part of the tests (timeouts,
    aborted shadow calls), not an error to print; anything else still is."""

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class Upstream:
    """The upstream server on a free loopback port, served by a daemon thread."""

    def __init__(self) -> None:
        self.server = _Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> Upstream:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
