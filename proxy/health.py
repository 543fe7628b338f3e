"""/health (process, legacy, database, route table) and /metrics."""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, jsonify

from backend.database import db
from proxy import metrics
from proxy.runtime import ProxyRuntime
from proxy.schema import Timeouts
from proxy.upstream import UpstreamError

bp = Blueprint("health", __name__)
PROBE_TIMEOUTS = Timeouts(connect=0.5, read=2.0, pool=0.5)
PROBE_ID = "strangler-health-probe"  # legacy logs it: the probe is told apart from traffic


def _legacy(runtime: ProxyRuntime) -> dict[str, object]:
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


def _database() -> dict[str, object]:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as error:
        return {"ok": False, "error": type(error).__name__}
    finally:
        db.session.remove()
    return {"ok": True, "dialect": db.engine.dialect.name}


def _routes(runtime: ProxyRuntime) -> dict[str, object]:
    source = runtime.source
    loaded = source.current
    return {
        "ok": loaded is not None,
        "file": str(source.path),
        "version": loaded.table.version if loaded else None,
        "loaded_at": loaded.loaded_at.isoformat() if loaded else None,
        "routes": len(loaded.table.routes) if loaded else 0,
        "last_reload_error": source.last_error,
        "last_reload_error_at": source.last_error_at.isoformat() if source.last_error_at
        else None,
    }


@bp.get("/health")
def health() -> tuple[Response, int]:
    """Report whether this worker, legacy, the database and the route table are sound."""
    runtime: ProxyRuntime = current_app.extensions["strangler"]
    runtime.ensure_started()
    checks = {
        "process": {"ok": True, "pid": os.getpid()},
        "legacy": _legacy(runtime),
        "database": _database(),
        "routes": _routes(runtime),
        "shadow": runtime.shadowing.status(),
    }
    ok = all(check["ok"] for check in checks.values())
    return jsonify(status="ok" if ok else "degraded", checks=checks), 200 if ok else 503


@bp.get("/metrics")
def prometheus() -> Response:
    """Expose the Prometheus metrics of every worker."""
    payload, content_type = metrics.exposition()
    return Response(payload, content_type=content_type)
