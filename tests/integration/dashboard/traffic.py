"""Real shadow traffic: requests through the proxy (served by legacy), mirrored to the
backend process with shadow's Mirror, compared and written by shadow's ParityWriter.

This is what the proxy's request path does once the shadow wiring lands; until then the
test does the mirroring step itself, with the same shadow objects.
"""

from __future__ import annotations

import httpx

from shadow.mirror import Mirror
from shadow.observation import Observation
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
