"""Reconcile legacy's access log with the proxies': every request legacy served, a proxy
logged (a smuggled request is one legacy served and no proxy saw)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from tests.support.processes import ServerProcess

_MORGAN = re.compile(r"\S+ ([A-Z]+) (\S+) .* (\S+)$")


def proxy_log(proxy: ServerProcess) -> list[dict]:
    """Return the proxy's JSON access lines."""
    return [json.loads(line) for line in Path(proxy.log_path).read_text().splitlines()
            if line.startswith('{"request_id"')]


def logged(proxy: ServerProcess, request_id: str) -> list[dict]:
    """Return the proxy's lines for ``request_id``, waiting up to five seconds for one."""
    for _ in range(50):
        lines = [line for line in proxy_log(proxy) if line["request_id"] == request_id]
        if lines:
            return lines
        time.sleep(0.1)
    return []


def unexplained(legacy: ServerProcess, proxies: list[ServerProcess]) -> list[str]:
    """Return legacy's log lines (morgan) that no request logged by ``proxies`` accounts for.

    Explained otherwise: direct calls of the tests (request id ``direct-*``), the proxy's
    health probe, and the harness' readiness probe (``GET /api/tags`` without an id). A proxy
    writes its line once the response has gone, so a client may read its answer a moment
    before: lines are looked at again for up to five seconds before they count.
    """
    for _ in range(50):
        lines = _unexplained_now(legacy, proxies)
        if not lines:
            return []
        time.sleep(0.1)
    return lines


def _unexplained_now(legacy: ServerProcess, proxies: list[ServerProcess]) -> list[str]:
    proxied = {line["request_id"] for proxy in proxies for line in proxy_log(proxy)}
    lines = []
    for line in Path(legacy.log_path).read_text().splitlines():
        match = _MORGAN.match(line)
        if match is None:
            continue
        method, url, rid = match.groups()
        if rid in proxied or rid.startswith(("direct-", "strangler-health")):
            continue
        if (method, url, rid) == ("GET", "/api/tags", "-"):
            continue
        lines.append(line)
    return lines
