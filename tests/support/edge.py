"""The rendered edge under test: nginx on ``strangler edge nginx``'s file, recording upstreams."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.performance.proxy.tools import require
from tests.support.processes import ServerProcess, free_port


class Recorder(BaseHTTPRequestHandler):
    """Answer every request with who we are and the target we received (headers only)."""

    protocol_version = "HTTP/1.1"
    name = ""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("X-Upstream", self.name)
        # The target as received (latin-1), from the request line: http.server's ``path``
        # collapses a leading '//'.
        self.send_header("X-Target", self.requestline.split(" ")[1])
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _answer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@contextmanager
def recorder(name: str) -> Iterator[int]:
    """Run a recording upstream called ``name`` on loopback; yield its port."""
    handler = type(f"{name}Recorder", (Recorder,), {"name": name})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def nginx_on(config: Path, prefix: Path, port: int) -> ServerProcess:
    """Return (not started) nginx on a rendered ``config`` listening on ``port``."""
    nginx = require("nginx")["nginx"]
    return ServerProcess("nginx", [nginx, "-p", str(prefix), "-c", str(config), "-e",
                                   str(prefix / "error.log")],
                         port=port, ready_path="/_edge/health", log_dir=prefix)


def edge_process(nginx: str, routes: Path, legacy_url: str, proxy_url: str, prefix: Path, *,
                 workers: int | str = "auto", access_log: str | None = None) -> ServerProcess:
    """Return (not started) nginx on the edge ``strangler edge nginx`` renders from ``routes``."""
    from proxy.edge_routes import EdgeSettings, legacy_address, write
    from proxy.validation import load_table

    port = free_port()
    prefix.mkdir(parents=True, exist_ok=True)
    settings = EdgeSettings(listen=f"127.0.0.1:{port}", proxy=legacy_address(proxy_url),
                            legacy=legacy_address(legacy_url), prefix=prefix,
                            workers=str(workers), error_log=str(prefix / "error.log"),
                            access_log=access_log or str(prefix / "access.log"))
    config = write(load_table(routes.read_text(), str(routes), None), settings,
                   prefix / "nginx.conf")
    return ServerProcess("edge", [nginx, "-p", str(prefix), "-c", str(config), "-e",
                                  str(prefix / "error.log")],
                         port=port, ready_path="/_edge/health", log_dir=prefix)
