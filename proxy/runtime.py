"""Per-worker state: the legacy client pool, the backend app and the routes.yaml watcher.

Nothing here exists until a worker first needs it, and a forked child rebuilds it all:
sockets and threads are never shared across fork.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask

from proxy.bulkhead import Bulkhead, bulkheads
from proxy.patterns import canonical_segments, raw_path
from proxy.validation import Shape, backend_shapes

if TYPE_CHECKING:
    from proxy.capturing import Capturing
    from proxy.mirroring import Shadowing
    from proxy.probes import Probes
    from proxy.reload import RouteSource
    from proxy.table import RouteDecision, RouteTable
    from proxy.traffic import TrafficCounter
    from proxy.upstream import LegacyClient


class ProxyRuntime:
    """Everything one worker process builds lazily, after fork."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.routes_file = Path(config["ROUTES_FILE"])
        self.legacy_url_override: str | None = config.get("LEGACY_URL") or None
        self.max_body_bytes: int = int(config["MAX_BODY_BYTES"])
        self.client_kind: str = config["HTTP_CLIENT"]
        self.pool_size: int = int(config["LEGACY_POOL_SIZE"])
        self.idle_seconds: float = config["SETTINGS"].legacy_idle_seconds
        self.reload_interval: float = float(config["RELOAD_INTERVAL"])
        self._backend_app: Flask | None = config.get("BACKEND_APP")
        self._config = config
        self.bulkheads: dict[str, Bulkhead] = bulkheads(config)  # bad sizes fail at start
        self._pid: int | None = None
        self._lock = threading.Lock()
        self.client: LegacyClient
        self.source: RouteSource
        self.shadowing: Shadowing
        self.capturing: Capturing
        self.probes: Probes
        self.traffic: TrafficCounter

    def ensure_started(self) -> None:
        """Build the client pool and start the watcher in this process, once."""
        if self._pid == os.getpid():
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            # Imported here, in the worker: `strangler routes ...` builds this object too
            # (for the backend's shapes) and has no use for clients, mirroring or probes.
            from proxy import metrics
            from proxy.access_log import configure_logging
            from proxy.capturing import Capturing
            from proxy.legacy_client import Urllib3LegacyClient
            from proxy.legacy_httpx import HttpxLegacyClient
            from proxy.mirroring import Shadowing
            from proxy.probes import Probes
            from proxy.reload import RouteSource
            from proxy.traffic import TrafficCounter
            from shadow import background, engine_from_url

            configure_logging()
            self.client = (HttpxLegacyClient(self.pool_size) if self.client_kind == "httpx"
                           else Urllib3LegacyClient(self.pool_size, self.idle_seconds))
            self.bulkheads = bulkheads(self._config)  # this process's own semaphores
            self.shadowing = Shadowing(self._config)  # its Mirror and writer start on first use
            self.capturing = Capturing(self._config)  # its writer too (shadow.capture)
            url = self._config["SQLALCHEMY_DATABASE_URI"]
            self.traffic = TrafficCounter(  # its writer thread starts on the first count
                lambda: engine_from_url(url),
                interval=self._config["SETTINGS"].traffic_flush_seconds)
            background.prepare()  # failures off the request path, counted from zero
            if self._config.get("READY_PARITY") is not None:  # the dashboard's, for the alerts
                metrics.READY_PARITY.set(float(self._config["READY_PARITY"]))
            self.probes = Probes(self)
            self.source = RouteSource(self.routes_file, self.shapes, self.reload_interval)
            self.source.check()
            self.source.start_watching()
            self._pid = os.getpid()

    @property
    def backend_app(self) -> Flask:
        """Return the Flask backend (created on first use unless given as BACKEND_APP)."""
        if self._backend_app is None:
            from backend import create_app as create_backend

            self._backend_app = create_backend(settings=self._config.get("BACKEND_SETTINGS"))
        return self._backend_app

    def shapes(self) -> set[Shape]:
        """Return the operations the backend implements, for validating ``serve: flask``."""
        return backend_shapes(self.backend_app.url_map)

    def decide(self, environ: dict[str, Any]) -> RouteDecision:
        """Return the matched route (template and settings) and the side serving ``environ``.

        Raises BadPath for a path the proxy refuses and RouteFileError with no valid table.
        """
        self.ensure_started()
        segments = canonical_segments(raw_path(environ))
        return self.source.table.decide(environ["REQUEST_METHOD"], segments, environ)

    def legacy_url(self, table: RouteTable) -> str:
        """Return legacy's base URL: LEGACY_URL if set, else routes.yaml's ``legacy.url``."""
        return (self.legacy_url_override or table.config.legacy.url).rstrip("/")
