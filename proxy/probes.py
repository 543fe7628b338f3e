"""Probes of the proxy's dependencies (legacy, the database), run off the request path.

/health must answer at once even when legacy is SIGSTOPped or the database hangs: it reads
the last results, and a result older than ``interval`` starts one refresh in the background
(never two at a time). A worker's first probe starts when the worker does (gunicorn's
post_worker_init); a /health call that comes before any result waits for it at most
FIRST_WAIT, then reports the checks as not probed yet.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask

from backend.database import db
from proxy.schema import Timeouts
from proxy.upstream import UpstreamError

PROBE_TIMEOUTS = Timeouts(connect=0.5, read=1.0, pool=0.5)
FIRST_WAIT = 1.0
PROBE_ID = "strangler-health-probe"  # legacy logs it: the probe is told apart from traffic
Result = dict[str, object]


class Probes:
    """The last legacy and database results of one worker, refreshed in the background."""

    def __init__(self, runtime: Any, interval: float = 1.0) -> None:
        self.runtime = runtime
        self.interval = interval
        self.results: dict[str, Result] = {}
        self.checked_at = 0.0
        self._lock = threading.Lock()
        self._refreshing = False
        self._first = threading.Event()

    def current(self, app: Flask) -> dict[str, Result]:
        """Return the last results; refresh them in the background if they are stale."""
        if not self.results or time.monotonic() - self.checked_at > self.interval:
            self.kick(app)
        if not self.results and not self._first.wait(FIRST_WAIT):
            waiting: Result = {"ok": False, "error": "not probed yet"}
            return {"legacy": waiting, "database": waiting}
        return self.results

    def kick(self, app: Flask) -> None:
        """Start a refresh in the background unless one is running."""
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
        threading.Thread(target=self.refresh, args=(app,), name="health-probe",
                         daemon=True).start()

    def refresh(self, app: Flask) -> None:
        """Probe legacy and the database now (timeouts bounded by PROBE_TIMEOUTS)."""
        try:
            legacy = self._legacy()
            with app.app_context():
                database = _database()
            self.results = {"legacy": legacy, "database": database}
            self.checked_at = time.monotonic()
            self._first.set()
        finally:
            self._refreshing = False

    def _legacy(self) -> Result:
        runtime = self.runtime
        try:
            url = runtime.legacy_url(runtime.source.table)
        except ValueError as error:
            return {"ok": False, "error": str(error)}
        try:
            response = runtime.client.send(url, "GET", "/", {"x-request-id": PROBE_ID}, None,
                                           PROBE_TIMEOUTS)
        except UpstreamError as error:
            return {"ok": False, "url": url, "error": error.kind}
        response.close()
        return {"ok": True, "url": url, "status": response.status}


def _database() -> Result:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        return {"ok": False, "error": type(error).__name__}
    finally:
        db.session.remove()
    return {"ok": True, "dialect": db.engine.dialect.name}
