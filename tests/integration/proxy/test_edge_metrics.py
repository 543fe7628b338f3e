"""Edge-served requests reach Prometheus with the proxy's labels, from nginx's access log.

A real nginx on the rendered edge (in front of recording upstreams) writes its JSON access
log; ``proxy.edge_log`` follows it (``strangler edge metrics``). Requests nginx sent straight
to legacy must be counted under the proxy's series and labels; those it passed to the proxy
must not be (the proxy counts them itself); a rotated log is followed.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from proxy.edge_log import EdgeMetrics, parse, run
from proxy.edge_routes import EdgeSettings, write
from proxy.validation import load_table
from tests.support.edge import nginx_on, recorder
from tests.support.processes import free_port

ROUTES = """\
default: legacy
routes:
  - {route: GET /api/tags, serve: legacy}
  - {route: GET /api/articles/:slug, serve: legacy}
  - {route: GET /api/user, serve: flask}
"""


def sample(metrics: EdgeMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def wait_for(condition, seconds: float = 20.0) -> None:
    """Poll ``condition`` (bounded); the assert after it says what was missing."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture()
def edge(tmp_path: Path) -> Iterator[tuple[str, Path, EdgeMetrics]]:
    with recorder("legacy") as legacy, recorder("proxy") as proxy:
        port = free_port()
        log = tmp_path / "access.log"
        settings = EdgeSettings(listen=f"127.0.0.1:{port}", proxy=f"127.0.0.1:{proxy}",
                                legacy=f"127.0.0.1:{legacy}", prefix=tmp_path, workers="1",
                                access_log=str(log), error_log=str(tmp_path / "error.log"))
        config = write(load_table(ROUTES, "routes.yaml", None), settings,
                       tmp_path / "nginx.conf")
        server = nginx_on(config, tmp_path, port).start()
        metrics, stop = EdgeMetrics(), threading.Event()
        thread = threading.Thread(target=run, args=(log, metrics, stop),
                                  kwargs={"from_start": True}, daemon=True)
        thread.start()
        try:
            yield server.url, log, metrics
        finally:
            stop.set()
            thread.join(5)
            server.stop()


def test_edge_served_requests_are_counted_with_the_proxys_labels(edge) -> None:
    url, log, metrics = edge
    with httpx.Client(base_url=url) as client:
        for _ in range(5):
            assert client.get("/api/tags").headers["x-upstream"] == "legacy"
        assert client.get("/api/articles/how-to").headers["x-upstream"] == "legacy"
        assert client.head("/nope").headers["x-upstream"] == "legacy"
        assert client.get("/api/user").headers["x-upstream"] == "proxy"
    total = "strangler_proxy_requests_total"
    wait_for(lambda: sample(metrics, "strangler_edge_log_lines_total", served="proxy") >= 1)
    assert sample(metrics, total, route="GET /api/tags", method="GET", status_class="2xx",
                  side="legacy") == 5
    assert sample(metrics, total, route="GET /api/articles/:slug", method="GET",
                  status_class="2xx", side="legacy") == 1
    assert sample(metrics, total, route="unmatched", method="HEAD", status_class="2xx",
                  side="legacy") == 1
    assert sample(metrics, total, route="GET /api/user", method="GET", status_class="2xx",
                  side="flask") == 0  # the proxy's to count
    assert sample(metrics, "strangler_proxy_request_duration_seconds_count",
                  route="GET /api/tags", side="legacy") == 5
    assert sample(metrics, "strangler_proxy_upstream_duration_seconds_count",
                  route="GET /api/tags", side="legacy") == 5
    # Rotation (move the file, tell nginx to reopen): the new file is followed from its start.
    log.rename(log.with_suffix(".1"))
    pid = (log.parent / "nginx.pid").read_text().strip()
    os.kill(int(pid), signal.SIGUSR1)
    wait_for(log.exists)
    with httpx.Client(base_url=url) as client:
        client.get("/api/tags")
    wait_for(lambda: sample(metrics, total, route="GET /api/tags", method="GET",
                            status_class="2xx", side="legacy") >= 6)
    assert sample(metrics, total, route="GET /api/tags", method="GET", status_class="2xx",
                  side="legacy") == 6


def test_a_log_line_parses_to_the_proxys_labels() -> None:
    line = ('{"time":"t","request_id":"r","method":"GET","route":"GET /api/tags",'
            '"side":"legacy","status":404,"seconds":0.002,"upstream_seconds":"0.001, 0.001"}')
    request = parse(line)
    assert request is not None and (request.route, request.status) == ("GET /api/tags", 404)
    assert request.upstream_seconds == 0.001
    assert parse(line.replace('"legacy"', '"proxy"')) is None
    assert parse("not json") is None
