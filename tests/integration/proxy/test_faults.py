"""A sick legacy (SIGSTOP, kill -9) in front of real processes: the proxy's other routes, its
health pages and its answers stay sound (functional checks only; figures: ``make hostile``).
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import httpx
import pytest

from tests.support import routes
from tests.support.processes import ServerProcess, legacy_process

pytestmark = [pytest.mark.legacy]


def tags_on_flask(directory: Path) -> Path:
    """A routes.yaml with GET /api/tags served by Flask (everything else legacy)."""
    path = directory / "routes.yaml"
    path.write_text(routes.routes_yaml(routes={"GET /api/tags": {"serve": "flask"}}))
    return path


def side_in_flight(proxy: ServerProcess, side: str) -> float:
    for line in httpx.get(proxy.url + "/metrics", timeout=5).text.splitlines():
        if line.startswith(f'strangler_proxy_side_in_flight{{side="{side}"}}'):
            return float(line.split()[-1])
    return 0.0


def test_a_stopped_legacy_holds_only_its_own_budget(
        databases, start_legacy, start_proxy, tmp_path: Path) -> None:
    database = databases.create("sqlite")
    legacy = start_legacy(database)
    proxy = start_proxy(tags_on_flask(tmp_path), database, LEGACY_URL=legacy.url,
                        WEB_CONCURRENCY="1", GUNICORN_THREADS="8",
                        PROXY_LEGACY_CONCURRENCY="6")
    assert legacy.proc is not None
    answers: list[int] = []

    def wait_on_legacy() -> None:
        try:
            answers.append(httpx.get(proxy.url + "/api/articles", timeout=30).status_code)
        except httpx.TimeoutException:
            answers.append(0)

    os.kill(legacy.proc.pid, signal.SIGSTOP)
    try:
        hung = [threading.Thread(target=wait_on_legacy) for _ in range(6)]
        for thread in hung:
            thread.start()
        for _ in range(100):  # until all six hold a legacy slot
            if side_in_flight(proxy, "legacy") >= 6:
                break
            threading.Event().wait(0.1)
        assert side_in_flight(proxy, "legacy") == 6
        # Over the budget: refused at once, not queued behind the hung ones.
        refused = httpx.get(proxy.url + "/api/profiles/x", headers={"X-Request-ID": "over"},
                            timeout=5)
        assert refused.status_code == 503
        assert refused.json()["requestId"] == "over"
        # The other side and the proxy's own pages keep their threads.
        for _ in range(5):
            assert httpx.get(proxy.url + "/api/tags", timeout=5).status_code == 200
            assert httpx.get(proxy.url + "/health/live", timeout=5).status_code == 200
            assert httpx.get(proxy.url + "/health", timeout=5).status_code in (200, 503)
    finally:
        os.kill(legacy.proc.pid, signal.SIGCONT)
    for thread in hung:
        thread.join()
    assert answers == [200] * 6
    assert httpx.get(proxy.url + "/api/profiles/x").status_code == 404  # legacy's own 404
    assert side_in_flight(proxy, "legacy") == 0


def test_legacy_killed_mid_request_is_502_and_the_proxy_recovers(
        databases, start_legacy, start_proxy, tmp_path: Path, artifacts_dir: Path) -> None:
    database = databases.create("sqlite")
    legacy = start_legacy(database)
    proxy = start_proxy(tags_on_flask(tmp_path), database, LEGACY_URL=legacy.url)
    assert legacy.proc is not None
    os.kill(legacy.proc.pid, signal.SIGSTOP)
    pending = []
    thread = threading.Thread(target=lambda: pending.append(
        httpx.get(proxy.url + "/api/articles", headers={"X-Request-ID": "cut"}, timeout=30)))
    thread.start()
    for _ in range(100):
        if side_in_flight(proxy, "legacy") >= 1:
            break
        threading.Event().wait(0.1)
    os.kill(legacy.proc.pid, signal.SIGKILL)  # kill -9 with the request on its socket
    legacy.proc.wait()
    thread.join()
    assert pending[0].status_code == 502
    assert pending[0].json() == {"errors": {"proxy": ["legacy unreachable"]}, "requestId": "cut"}
    assert httpx.get(proxy.url + "/api/tags").status_code == 200
    again = legacy_process(database, artifacts_dir, PORT=str(legacy.port))
    again.port = legacy.port
    again.start()
    try:
        assert httpx.get(proxy.url + "/api/articles").status_code == 200
    finally:
        again.stop()
    assert "Traceback" not in Path(proxy.log_path).read_text()
