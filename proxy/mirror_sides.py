"""Call a side again for shadow mode: the Flask backend in-process, legacy over HTTP.

Each call sends the Exchange again (method, path, query, headers including Authorization
and X-Request-ID, body) and returns the answer as a shadow Observation, its body read up to
``cap`` bytes (a longer one is cut there and compares as different).

A marked call to the backend (dry-run write or read-only read) gets the seam's report in the
``X-Strangler-Effects`` header, which is taken off the answer before it is compared: a write
that would have escaped the rollback makes the candidate's Observation an ``EscapedWrite``
failure (``escaped_write``), a write during a read a ``WroteDuringRead`` one
(``candidate_error``, "candidate wrote during a read").
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from flask import Flask

from backend.dryrun import EFFECTS_HEADER
from proxy.dryrun import ENVIRON_KEY
from proxy.flask_side import backend_environ, replayed
from proxy.schema import Timeouts
from proxy.table import UNMATCHED_ROUTE
from proxy.traffic import SHADOW, TrafficCounter, unmatched_template
from proxy.upstream import LegacyClient
from shadow import Exchange, Observation
from shadow.observation import EscapedWrite, WroteDuringRead

_EFFECTS = EFFECTS_HEADER.lower()


def _read(chunks: Any, cap: int) -> bytes:
    parts, size = [], 0
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size > cap:
            break
    return b"".join(parts)


def _body(exchange: Exchange) -> list[bytes] | None:
    return [exchange.body] if exchange.body is not None else None


def call_flask(app: Flask, exchange: Exchange, *, cap: int,
               marker: str | None = None) -> Observation:
    """Run the request through the backend's WSGI app; ``marker`` makes it a dry-run
    (or a read-only read), whose escapes are reported as the candidate's failure."""
    body = _body(exchange)
    env = backend_environ(replayed(exchange), exchange, iter(body) if body is not None else None)
    if marker is not None:
        env[ENVIRON_KEY] = marker
    head: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        code, _, reason = status.partition(" ")
        head[:] = [int(code), list(headers), reason]
        return lambda data: None

    started = time.perf_counter()
    chunks = app(env, start_response)
    try:
        data = _read(chunks, cap)
    finally:
        getattr(chunks, "close", lambda: None)()
    duration = time.perf_counter() - started
    headers = [(name, value) for name, value in head[1] if name.lower() != _EFFECTS]
    reports = [value for name, value in head[1] if name.lower() == _EFFECTS]
    report = json.loads(reports[0]) if marker is not None and reports else None
    failure = _effects_failure(report) if report is not None else None
    if failure is not None:
        return Observation.failed(failure, duration)
    return Observation(head[0], headers, data, duration, reason=head[2],
                       effects=report if report and "changes" in report else None)


def _effects_failure(effects: dict[str, Any]) -> Exception | None:
    """Return the candidate's failure the seam's report shows, or None if it shows none."""
    escaped, wrote = effects.get("escaped") or [], effects.get("wrote_during_read") or []
    if escaped:
        return EscapedWrite(f"candidate's {effects.get('mode')} wrote outside its rolled-back"
                            f" transaction (refused): {'; '.join(escaped)[:200]}")
    if wrote:
        return WroteDuringRead(f"candidate wrote during a read (refused by its read-only"
                               f" transaction): {'; '.join(wrote)[:200]}")
    return None


def call_legacy(client: LegacyClient, base_url: str, exchange: Exchange, timeouts: Timeouts,
                *, cap: int) -> Observation:
    """Send the request to legacy through the worker's client pool."""
    started = time.perf_counter()
    response = client.send(base_url, exchange.method, exchange.target, dict(exchange.headers),
                           _body(exchange), timeouts)
    try:
        data = _read(response.chunks, cap)
    finally:
        response.close()
    return Observation(response.status, response.headers, data, time.perf_counter() - started,
                       reason=response.reason)


class Sides:
    """How to call each side again, off the request path: the backend app and legacy."""

    def __init__(self, backend: Callable[[], Flask], client: LegacyClient, legacy_url: str,
                 timeouts: Timeouts, *, traffic: TrafficCounter | None = None) -> None:
        self.backend = backend  # called when first needed: the backend app
        self.client = client
        self.legacy_url = legacy_url
        self.timeouts = timeouts
        self.traffic = traffic  # counts each call of legacy (route traffic, kind "shadow")

    def call(self, side: str, exchange: Exchange, *, timeout: float, cap: int,
             marker: str | None = None) -> Observation:
        if side == "flask":
            return call_flask(self.backend(), exchange, marker=marker, cap=cap)
        timeouts = Timeouts(connect=self.timeouts.connect, read=timeout, pool=self.timeouts.pool)
        if self.traffic is not None:
            self.traffic.count(*_counted_as(exchange), SHADOW, "legacy")
        return call_legacy(self.client, self.legacy_url, exchange, timeouts, cap=cap)


def _counted_as(exchange: Exchange) -> tuple[str, bool]:
    """Return the route (or unmatched template) a call of legacy is counted under."""
    if exchange.route == UNMATCHED_ROUTE:
        return unmatched_template(exchange.method, exchange.path), False
    return exchange.route, True
