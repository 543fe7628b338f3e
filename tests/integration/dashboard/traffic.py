"""Real shadow traffic: requests through the proxy (served by legacy), mirrored to the
backend, compared and written to the parity store by shadow's Mirror and ParityWriter.

When the proxy mirrors shadowed routes itself (its /health has a ``shadow`` check), the
test only sends the requests and waits for the store to hold them. Before that wiring
landed, the test did the mirroring step itself with the same shadow objects, the candidate
being the backend process.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx

from shadow.mirror import Mirror
from shadow.observation import Observation
from shadow.report import route_reports
from shadow.store import ParityStore, engine_from_url
from shadow.writer import ParityWriter


def observe(response: httpx.Response) -> Observation:
    return Observation(response.status_code, list(response.headers.multi_items()),
                       response.content, response.elapsed.total_seconds())


def mirror_traffic(proxy_url: str, backend_url: str, database_url: str,
                   requests: list[tuple[str, str]], token: str | None = None) -> None:
    """Send each (route, path) GET through the proxy and mirror it to the backend."""
    engine = engine_from_url(database_url)
    writer = ParityWriter(ParityStore(engine))
    mirror = Mirror([writer], max_in_flight=len(requests), timeout=10.0)  # no overload skips
    headers = {"Authorization": f"Token {token}"} if token else {}
    try:
        with httpx.Client(headers=headers, timeout=10) as client, \
                httpx.Client(headers=headers, timeout=10) as candidate_client:
            for route, path in requests:
                response = client.get(proxy_url + path)
                mirror.submit(
                    route=route, method="GET", control=observe(response),
                    candidate=lambda path=path: observe(candidate_client.get(backend_url + path)),
                    request_id=response.headers.get("x-request-id"),
                )
            mirror.close(timeout=30)
        assert writer.flush(timeout=30), "the parity writer did not drain"
    finally:
        writer.close()
        engine.dispose()


def proxy_mirrors(proxy_url: str) -> bool:
    """Tell whether the proxy mirrors shadowed routes itself."""
    return "shadow" in httpx.get(proxy_url + "/health", timeout=10).json().get("checks", {})


def live_traffic(proxy_url: str, database_url: str, requests: list[tuple[str, str]]) -> None:
    """Send each GET through the proxy; wait (bounded) until the store holds every one."""
    expected: dict[str, int] = {}
    with httpx.Client(timeout=10) as client:
        for route, path in requests:
            assert client.get(proxy_url + path).status_code < 500
            expected[route] = expected.get(route, 0) + 1
    engine = engine_from_url(database_url)
    since = datetime.now(UTC) - timedelta(hours=1)
    try:
        for _ in range(300):
            seen = {r.route: sum(r.outcomes.values()) for r in route_reports(engine, since)}
            if all(seen.get(route, 0) >= n for route, n in expected.items()):
                return
            time.sleep(0.1)
        raise AssertionError(f"the proxy stored {seen}, expected {expected}")
    finally:
        engine.dispose()
