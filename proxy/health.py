"""Liveness (/health/live), readiness (/health/ready, /health) and /metrics.

- **Live**: the worker answers HTTP. Nothing else is looked at; a load balancer or an
  orchestrator that sees it fail should restart the process.
- **Ready**: this instance can serve traffic: it holds a valid route table and, when any
  route (or the default) is served by legacy, legacy answers it. 200 when ready, 503 when
  not; a load balancer sends traffic only to ready instances. The database and the shadow
  machinery are reported (``checks.database``, ``checks.shadow``, and ``status`` is
  "degraded" when one fails) but do not decide readiness: every instance shares the same
  database, so dropping this one would not help, and routes legacy serves may still work.

Legacy and the database are probed in the background (proxy.probes): these pages answer at
once from results at most a second old, whatever state the dependencies are in.
"""

from __future__ import annotations

import os

from flask import Blueprint, Response, current_app, jsonify

from proxy import metrics
from proxy.probes import Result
from proxy.runtime import ProxyRuntime

bp = Blueprint("health", __name__)


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


@bp.get("/health/live")
def live() -> Response:
    """Report that this worker answers (liveness)."""
    return jsonify(status="ok", pid=os.getpid())


@bp.get("/health")
@bp.get("/health/ready")
def ready() -> tuple[Response, int]:
    """Report whether this instance can serve traffic (readiness), with every check."""
    runtime: ProxyRuntime = current_app.extensions["strangler"]
    runtime.ensure_started()
    # The app itself, not the context-bound proxy: the probes run in a thread of their own.
    # mypy sees current_app as a Flask, without the proxy's method.
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    probed = runtime.probes.current(app)
    checks: dict[str, Result] = {
        "process": {"ok": True, "pid": os.getpid()},
        "routes": _routes(runtime),
        **probed,
        "shadow": runtime.shadowing.status(),
        "capture": runtime.capturing.status(),
    }
    loaded = runtime.source.current
    needs_legacy = loaded is not None and loaded.table.uses_legacy
    serving = checks["routes"]["ok"] and (checks["legacy"]["ok"] or not needs_legacy)
    healthy = all(check["ok"] for check in checks.values())
    status = "ok" if healthy else "degraded" if serving else "unavailable"
    return jsonify(status=status, ready=serving, checks=checks), 200 if serving else 503


@bp.get("/metrics")
def prometheus() -> Response:
    """Expose the Prometheus metrics of every worker."""
    payload, content_type = metrics.exposition(
        current_app.config["SETTINGS"].prometheus_multiproc_dir)
    return Response(payload, content_type=content_type)
