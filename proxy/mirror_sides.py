"""Call a side again for shadow mode: the Flask backend in-process, legacy over HTTP.

Each call sends a copy of the client's request (method, path, query, headers including
Authorization and X-Request-ID, body) and returns the answer as a shadow Observation, its
body read up to ``cap`` bytes (a longer one is cut there and compares as different).
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import unquote

from flask import Flask

from proxy.dryrun import ENVIRON_KEY
from proxy.flask_side import backend_environ
from proxy.headers import upstream_headers
from proxy.schema import Timeouts
from proxy.upstream import LegacyClient
from shadow import Observation


def _read(chunks: Any, cap: int) -> bytes:
    parts, size = [], 0
    for chunk in chunks:
        parts.append(chunk)
        size += len(chunk)
        if size > cap:
            break
    return b"".join(parts)


def call_flask(
    app: Flask,
    environ: dict[str, Any],
    rid: str,
    path: str,
    target: str,
    body: bytes | None,
    *,
    cap: int,
    marker: str | None = None,
) -> Observation:
    """Run the request through the backend's WSGI app; ``marker`` makes it a dry-run."""
    env = dict(environ)
    env["PATH_INFO"] = unquote(path).encode().decode("latin-1")
    env["RAW_URI"] = env["REQUEST_URI"] = target
    backend_environ(env, rid, iter([body]) if body is not None else None)
    if marker is not None:
        env[ENVIRON_KEY] = marker
    head: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        head[:] = [int(status.split(" ", 1)[0]), list(headers)]
        return lambda data: None

    started = time.perf_counter()
    chunks = app(env, start_response)
    try:
        data = _read(chunks, cap)
    finally:
        getattr(chunks, "close", lambda: None)()
    return Observation(head[0], head[1], data, time.perf_counter() - started)


def call_legacy(
    client: LegacyClient,
    base_url: str,
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes | None,
    timeouts: Timeouts,
    *,
    cap: int,
) -> Observation:
    """Send the request to legacy through the worker's client pool."""
    started = time.perf_counter()
    response = client.send(base_url, method, target, headers,
                           [body] if body is not None else None, timeouts)
    try:
        data = _read(response.chunks, cap)
    finally:
        response.close()
    return Observation(response.status, response.headers, data, time.perf_counter() - started)


class Sides:
    """How to call each side again, off the request path: the backend app and legacy."""

    def __init__(self, runtime: Any, table: Any) -> None:
        self.runtime = runtime
        self.table = table

    def call(self, side: str, environ: dict[str, Any], rid: str, path: str, target: str,
             body: bytes | None, *, timeout: float, cap: int, marker: str | None = None
             ) -> Observation:
        if side == "flask":
            return call_flask(self.runtime.backend_app, environ, rid, path, target, body,
                              marker=marker, cap=cap)
        timeouts: Timeouts = self.table.config.legacy.timeouts
        return call_legacy(
            self.runtime.client, self.runtime.legacy_url(self.table), environ["REQUEST_METHOD"],
            target, upstream_headers(environ, rid), body,
            Timeouts(connect=timeouts.connect, read=timeout, pool=timeouts.pool), cap=cap,
        )
