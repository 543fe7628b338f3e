"""Probes of the proxy's dependencies (legacy, the database), run off the request path.

/health must answer at once even when legacy is SIGSTOPped or the database hangs: it reads
the last results, and a result older than ``interval`` starts one refresh in the background
(never two at a time). Only the very first call of a worker waits for a result.
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

PROBE_TIMEOUTS = Timeouts(connect=0.5, read=2.0, pool=0.5)
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

    def current(self, app: Flask) -> dict[str, Result]:
        """Return the last results; refresh them in the background if they are stale."""
        if not self.results:
            self.refresh(app)
        elif time.monotonic() - self.checked_at > self.interval:
            with self._lock:
                if self._refreshing:
                    return self.results
                self._refreshing = True
            threading.Thread(target=self.refresh, args=(app,), name="health-probe",
                             daemon=True).start()
        return self.results

    def refresh(self, app: Flask) -> None:
        """Probe legacy and the database now (timeouts bounded by PROBE_TIMEOUTS)."""
        try:
            legacy = self._legacy()
            with app.app_context():
                database = _database()
            self.results = {"legacy": legacy, "database": database}
            self.checked_at = time.monotonic()
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
