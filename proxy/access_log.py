"""One JSON line per request on the ``strangler.access`` logger."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

access_logger = logging.getLogger("strangler.access")
proxy_logger = logging.getLogger("strangler.proxy")


def configure_logging() -> None:
    """Send the proxy's loggers to stderr as bare lines, once per process."""
    for logger in (access_logger, proxy_logger):
        if logger.handlers:
            continue
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def log_request(**fields: Any) -> None:
    """Write one access line: request id, route template, side, status, durations."""
    if access_logger.isEnabledFor(logging.INFO):
        access_logger.info(json.dumps(fields, separators=(",", ":")))


def log_event(event: str, **fields: Any) -> None:
    """Write one JSON line about the proxy itself (reloads, reload errors)."""
    proxy_logger.info(json.dumps({"event": event, **fields}, separators=(",", ":")))
