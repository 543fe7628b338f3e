"""Hot reload: each worker watches routes.yaml and swaps in a new table atomically."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from proxy import metrics, route_series
from proxy.access_log import log_event
from proxy.table import RouteTable
from proxy.validation import RouteFileError, Shape, load_table
from shadow.background import background_error


@dataclass(frozen=True)
class LoadedTable:
    """A table in force, with when it was loaded."""

    table: RouteTable
    loaded_at: datetime


class RouteSource:
    """Hold the table in force; a bad file keeps the last good table and records the error."""

    def __init__(self, path: Path, shapes: Callable[[], set[Shape]], interval: float = 0.2):
        self.path = path
        self.interval = interval
        self._shapes = shapes
        self._stamp: tuple[int, int, int] | None = None
        self._text: str | None = None
        self.current: LoadedTable | None = None
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def table(self) -> RouteTable:
        """Return the table in force, loading it on first use (a bad first file raises)."""
        loaded = self.current
        if loaded is None:
            self.check()
            loaded = self.current
            if loaded is None:
                raise RouteFileError([self.last_error or f"{self.path}: not loaded"])
        return loaded.table

    def check(self) -> bool:
        """Reload if the file changed; return whether a new table was applied."""
        with self._lock:
            try:
                st = os.stat(self.path)
            except OSError as error:
                return self._fail(f"{self.path}: {error.strerror}", None)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            if stamp == self._stamp:
                return False
            self._stamp = stamp
            try:
                text = self.path.read_text()
            except OSError as error:
                return self._fail(f"{self.path}: {error.strerror}", None)
            if text == self._text:
                return False
            try:
                table = load_table(text, str(self.path), self._shapes())
            except RouteFileError as error:
                return self._fail(str(error), text)
            self._text = text
            self.current = LoadedTable(table, datetime.now(UTC))
            self.last_error = None
            route_series.publish(table)
            metrics.RELOADS.inc()
            metrics.ROUTES_REJECTED.set(0)
            log_event("routes_loaded", file=str(self.path), version=table.version)
            return True

    def _fail(self, message: str, text: str | None) -> bool:
        if text is not None or message != self.last_error:
            metrics.RELOAD_FAILURES.inc()
            log_event("routes_rejected", file=str(self.path), error=message)
        metrics.ROUTES_REJECTED.set(1)
        self._text = text  # None when unreadable: the same text coming back is applied again
        self.last_error = message
        self.last_error_at = datetime.now(UTC)
        return False

    def start_watching(self) -> None:
        """Start the daemon thread that polls the file (well within a second)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._thread = threading.Thread(target=self._watch, name="routes-watch", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while True:
            time.sleep(self.interval)
            try:
                self.check()
            except Exception as error:  # noqa: BLE001  (the watcher must outlive any surprise)
                background_error("routes_watcher", "routes.yaml watcher failed", error)
