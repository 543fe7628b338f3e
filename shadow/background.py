"""One hook for failures off the request path: one JSON log line and one counter each.

Work that runs in background threads (the Mirror's pool and watchdog, its publishers, the
parity store writer, the proxy's routes.yaml watcher and its shadow submissions) must never
raise into the request path, and must never fail silently either. Each such failure calls
``background_error``: it counts ``strangler_background_errors_total{component}`` and writes
one JSON line on the ``strangler.background`` logger, in the shape of the proxy's own log
lines (``{"event": "background_error", "component": ..., "message": ..., "error": ...,
"traceback": ...}``). ``prepare`` creates every component's series at zero, so that
Prometheus sees the first failure as a rise.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from typing import Any

from prometheus_client import Counter

COMPONENTS = (
    "mirror",  # the Mirror's pool: a candidate job, a submission or a skip that broke
    "publisher",  # a publisher (store writer, metrics) that raised on a comparison
    "watchdog",  # a timeout callback of the Mirror's watchdog
    "store_writer",  # the parity store writer: a batch or noise record not written
    "shadow_submit",  # the proxy handing a finished request to the Mirror
    "routes_watcher",  # the proxy's routes.yaml watcher thread
    "traffic",  # the proxy's route traffic counts: a count or a flush to the store that failed
)
ERRORS = Counter(
    "strangler_background_errors",
    "Failures in background work, off the request path, by component.",
    ["component"],
)
logger = logging.getLogger("strangler.background")


def prepare() -> None:
    """Create every component's series at zero in this process."""
    for component in COMPONENTS:
        ERRORS.labels(component)


def background_error(component: str, message: str, error: BaseException | None = None,
                     **fields: Any) -> None:
    """Count one background failure and log it as one JSON line; never raise.

    ``error`` defaults to the exception being handled, so the hook is called from an
    ``except`` block as ``log.exception`` was.
    """
    try:
        ERRORS.labels(component).inc()
        error = error if error is not None else sys.exc_info()[1]
        record: dict[str, Any] = {"event": "background_error", "component": component,
                                  "message": message, **fields}
        if error is not None:
            record["error"] = repr(error)
            record["traceback"] = "".join(traceback.format_exception(error))
        logger.error(json.dumps(record, separators=(",", ":"), default=str))
    except Exception:  # noqa: BLE001  (the hook of last resort must not become a failure)
        logging.getLogger(__name__).error("background error in %s: %s", component, message)
