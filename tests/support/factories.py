"""Build exchanges, experiments and observations from a few keywords, for unit tests.

The shadow request path (``proxy.mirroring.Shadow``, ``shadow.Mirror``) takes plain values;
with these a test drives it without an app, a server or a database::

    exchange = make_exchange("GET /api/tags", control_side="legacy")
    control = make_observation({"tags": ["a"]})
"""

from __future__ import annotations

import json
import threading
from typing import Any

from shadow import Comparison, Exchange, Experiment, Observation, Rules

ROUTE = "GET /api/articles/:slug"
WAIT = 10.0  # generous upper bound for background work to arrive; never a timing assertion


def make_exchange(route: str = ROUTE, *, method: str | None = None, path: str | None = None,
                  query: str = "", headers: dict[str, str] | None = None,
                  request_id: str | None = "req-1", control_side: str = "legacy",
                  body: bytes | None = None, environ: dict[str, Any] | None = None) -> Exchange:
    """Return an Exchange for ``route`` ("METHOD /template"); the path defaults to the
    template with each ``:param`` replaced by its name."""
    template_method, _, template = route.partition(" ")
    method = method or template_method
    path = path or "/".join(part[1:] if part.startswith(":") else part
                            for part in template.split("/"))
    sent = {"x-request-id": request_id or "", "via": "1.1 strangler", **(headers or {})}
    wsgi = {"REQUEST_METHOD": method, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "SCRIPT_NAME": "",
            "QUERY_STRING": query, "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1",
            **(environ or {})}
    return Exchange(route=route, method=method, request_id=request_id, path=path,
                    target=path + ("?" + query if query else ""), headers=tuple(sent.items()),
                    environ=tuple(wsgi.items()), control_side=control_side, body=body)


def make_experiment(rules: Rules | None = None, **settings: Any) -> Experiment:
    """Return an Experiment: default settings unless given (sample, timeout, writes...)."""
    return Experiment(rules=rules or Rules(), **settings)


def make_observation(body: Any = None, *, status: int = 200, headers: Any = None,
                     raw: bytes | None = None, duration: float = 0.01) -> Observation:
    """Return an Observation of a JSON answer (``raw`` bytes are sent as they are)."""
    if raw is None:
        raw = b"" if body is None else json.dumps(body).encode()
    if headers is None:
        headers = {"Content-Type": "application/json; charset=utf-8"} if body is not None else {}
    return Observation(status, headers, raw, duration)


class Recorder:
    """A publisher that keeps what it is told and lets a test wait for it."""

    def __init__(self) -> None:
        self.comparisons: list[Comparison] = []
        self.noise_found: list[tuple[str, list[str]]] = []
        self._changed = threading.Condition()

    def comparison(self, comparison: Comparison) -> None:
        with self._changed:
            self.comparisons.append(comparison)
            self._changed.notify_all()

    def noise(self, route: str, paths: list[str]) -> None:
        with self._changed:
            self.noise_found.append((route, paths))
            self._changed.notify_all()

    def wait(self, count: int = 1) -> list[Comparison]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.comparisons) >= count, WAIT)
            return list(self.comparisons)

    def wait_noise(self) -> list[tuple[str, list[str]]]:
        with self._changed:
            assert self._changed.wait_for(lambda: self.noise_found, WAIT)
            return list(self.noise_found)
