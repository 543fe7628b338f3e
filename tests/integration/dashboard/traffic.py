"""Real shadow traffic: requests through the proxy, served by legacy and mirrored by the proxy
to the Flask backend; shadow compares them and its writer fills the parity store.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import httpx

from shadow.report import route_reports
from shadow.store import engine_from_url


def shadow_traffic(proxy_url: str, database_url: str, requests: list[tuple[str, str]]) -> None:
    """Send each (route, path) GET through the proxy; wait (bounded) for the store to hold all."""
    expected: dict[str, int] = {}
    with httpx.Client(timeout=10) as client:
        for route, path in requests:
            assert client.get(proxy_url + path).status_code < 500
            expected[route] = expected.get(route, 0) + 1
    engine = engine_from_url(database_url)
    since = datetime.now(UTC) - timedelta(hours=1)
    seen: dict[str, int] = {}
    try:
        for _ in range(300):
            seen = {r.route: sum(r.outcomes.values()) for r in route_reports(engine, since)}
            if all(seen.get(route, 0) >= n for route, n in expected.items()):
                return
            time.sleep(0.1)
        raise AssertionError(f"the parity store holds {seen}, expected {expected}")
    finally:
        engine.dispose()
