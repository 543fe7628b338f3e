"""One JSON line per request on the ``strangler.access`` logger."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

access_logger = logging.getLogger("strangler.access")
proxy_logger = logging.getLogger("strangler.proxy")
background_logger = logging.getLogger("strangler.background")  # shadow.background's


def configure_logging() -> None:
    """Send the proxy's loggers to stderr as bare lines, once per process."""
    for logger in (access_logger, proxy_logger, background_logger):
        logger.disabled = False  # logging.config.fileConfig (Alembic's env.py) disables loggers
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
        if any(isinstance(h, _ProxyHandler) for h in logger.handlers):
            continue
        handler = _ProxyHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False


class _ProxyHandler(logging.StreamHandler):
    """The proxy's own stderr handler (recognised so that it is added only once)."""


def log_request(**fields: Any) -> None:
    """Write one access line: request id, route template, side, status, durations."""
    if access_logger.isEnabledFor(logging.INFO):
        # makeRecord + handle: the same record as .info() without its per-call stack walk.
        line = json.dumps(fields, separators=(",", ":"))
        access_logger.handle(
            access_logger.makeRecord(access_logger.name, logging.INFO, __file__, 0, line, (), None)
        )


def log_event(event: str, **fields: Any) -> None:
    """Write one JSON line about the proxy itself (reloads, reload errors)."""
    proxy_logger.info(json.dumps({"event": event, **fields}, separators=(",", ":")))
