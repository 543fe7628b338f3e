"""The edge follows routes.yaml under load: re-rendered, checked, reloaded, nothing dropped.

A real nginx runs the rendered edge in front of two recording upstreams (legacy and the
proxy); ``EdgeWatcher`` (``strangler edge watch``) polls routes.yaml beside it. Four clients on
kept-alive connections request ``GET /api/tags`` while the route is flipped between
``serve: legacy`` (nginx sends it straight to legacy) and ``serve: flask`` (to the proxy)
every second, written as rollout.route_file writes (atomic rename). Between the flips come an
invalid routes.yaml and one whose render nginx refuses (``nginx -t``): neither may replace
the running configuration. Bounded: a fixed number of flips, at most 60 s of load.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from proxy.edge_routes import EdgeSettings
from proxy.edge_watch import EdgeWatcher
from tests.support.edge import nginx_on, recorder
from tests.support.processes import free_port

ROUTES = """\
legacy: {url: %(legacy)s}
default: flask
routes:
  - {route: GET /api/tags, serve: %(serve)s}
"""
FLIPS = 8
CLIENTS = 4


def write_atomically(path: Path, text: str) -> None:
    """Write as rollout.route_file does: a temporary file renamed over the old one."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


@dataclass
class Load:
    """Clients on kept-alive connections; each answer: (when, upstream) or a failure."""

    url: str
    answers: list[tuple[float, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    retried: int = 0  # kept-alive connections nginx closed as the client sent (RFC 9112 9.3.1)
    stop: threading.Event = field(default_factory=threading.Event)

    def client(self, keep_alive: bool = True) -> None:
        deadline = time.monotonic() + 60
        limits = httpx.Limits(max_keepalive_connections=1 if keep_alive else 0)
        with httpx.Client(base_url=self.url, timeout=10, limits=limits) as client:
            while not self.stop.is_set() and time.monotonic() < deadline:
                try:
                    try:
                        response = client.get("/api/tags")
                    except (httpx.RemoteProtocolError, httpx.ReadError) as error:
                        # A reload closes the old workers' idle kept-alive connections; a
                        # request sent at that instant is never read (the close, or a reset
                        # for the unread bytes): retried, as RFC 9112 (9.3.1) lets clients
                        # do with idempotent requests (browsers do), and counted.
                        if not keep_alive or not ("without sending a response" in str(error)
                                                  or "reset by peer" in str(error)):
                            raise
                        self.retried += 1
                        response = client.get("/api/tags")
                    if response.status_code != 200 or "x-upstream" not in response.headers:
                        self.failures.append(f"{response.status_code} {response.text[:100]}")
                    else:
                        self.answers.append((time.monotonic(), response.headers["x-upstream"]))
                except httpx.HTTPError as error:
                    self.failures.append(f"{type(error).__name__}: {error}")
                time.sleep(0.002)


@pytest.fixture()
def edge(tmp_path: Path) -> Iterator[tuple[EdgeWatcher, str, Path]]:
    with recorder("legacy") as legacy, recorder("proxy") as proxy:
        routes = tmp_path / "routes.yaml"
        legacy_url = f"http://127.0.0.1:{legacy}"
        routes.write_text(ROUTES % {"legacy": legacy_url, "serve": "legacy"})
        port = free_port()
        prefix = tmp_path / "nginx"
        settings = EdgeSettings(listen=f"127.0.0.1:{port}", proxy=f"127.0.0.1:{proxy}",
                                prefix=prefix, workers="2", access_log="off",
                                error_log=str(prefix / "error.log"))
        watcher = EdgeWatcher(routes, prefix / "nginx.conf", settings, interval=0.05)
        assert watcher.render_once()
        server = nginx_on(watcher.config, prefix, port).start()
        stop = threading.Event()
        thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
        thread.start()
        try:
            yield watcher, legacy_url, routes
        finally:
            stop.set()
            thread.join(5)
            server.stop()


def test_flips_every_second_under_load_drop_nothing(edge) -> None:
    watcher, legacy_url, routes = edge
    load = Load(f"http://{watcher.edge.listen}")
    # Kept-alive clients, and one opening a connection a request (no retry allowed).
    clients = [threading.Thread(target=load.client, args=(number > 0,), daemon=True)
               for number in range(CLIENTS)]
    for thread in clients:
        thread.start()
    flips: list[tuple[float, str]] = []
    refused_config = ""
    try:
        time.sleep(1)
        for number in range(FLIPS):
            serve = "flask" if number % 2 == 0 else "legacy"
            flips.append((time.monotonic(), "proxy" if serve == "flask" else "legacy"))
            write_atomically(routes, ROUTES % {"legacy": legacy_url, "serve": serve})
            time.sleep(1)
            if number == 3:  # invalid files never replace the running configuration
                live = watcher.config.read_text()
                refusals = watcher.refusals
                write_atomically(routes, "routes: [{route: GET /api/tags, serve: nobody}]\n")
                time.sleep(0.5)
                write_atomically(routes, ROUTES % {"legacy": "http://127.0.0.1:99999",
                                                   "serve": "legacy"})
                time.sleep(0.5)
                refused_config = watcher.last_error or ""
                assert watcher.refusals >= refusals + 2
                assert watcher.config.read_text() == live
    finally:
        load.stop.set()
        for thread in clients:
            thread.join(15)
    assert "nginx -t refused the render" in refused_config
    assert not load.failures, f"{len(load.failures)} failed: {load.failures[:10]}"
    # Every flip was served by its side after it was written (through the invalid files that
    # followed one of them); how long the old side still answered, for the docs.
    delays = []
    for (written, side), following in zip(flips, [*flips[1:], (float("inf"), "")],
                                          strict=True):
        seen = [when for when, upstream in load.answers
                if written <= when < following[0] and upstream == side]
        assert seen, f"the flip to {side} at {written:.2f} was never served by it"
        stale = [when for when, upstream in load.answers
                 if written <= when < following[0] and upstream != side]
        delays.append(max(stale, default=written) - written)
    print(f"\nedge reload: {len(load.answers)} requests, 0 failed ({load.retried} retried on a"
          f" kept-alive connection closed by the reload), {watcher.reloads} reloads;"
          f" the old side last answered {max(delays) * 1000:.0f} ms after a write at most")
