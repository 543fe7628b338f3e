"""Serve a request from the Flask backend in-process: a WSGI call, no network hop."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from proxy.body import LimitedInput
from shadow import Exchange

_BODY_HEADERS = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}


def backend_environ(
    base: Mapping[str, Any], exchange: Exchange, body: Iterator[bytes] | None
) -> dict[str, Any]:
    """Return the environ the backend gets: ``base`` with the exchange's path and headers.

    The one place the request is rewritten for the in-process backend, whether it serves
    (``base`` is the live environ) or is called again in shadow mode (``replayed``): the
    canonical path, the target as sent, the headers legacy would get, the client's Host, and
    a body that is read through a limit.
    """
    environ = {key: value for key, value in base.items()
               if not key.startswith("HTTP_") and key not in _BODY_HEADERS.values()}
    environ["PATH_INFO"] = unquote(exchange.path).encode().decode("latin-1")
    environ["RAW_URI"] = environ["REQUEST_URI"] = exchange.target
    for name, value in exchange.headers:
        key = _BODY_HEADERS.get(name) or "HTTP_" + name.upper().replace("-", "_")
        environ[key] = value
    host = base.get("HTTP_HOST")
    if host:
        environ["HTTP_HOST"] = host
    environ["wsgi.input"] = LimitedInput(body if body is not None else iter(()))
    if body is not None and "CONTENT_LENGTH" not in environ:
        environ["wsgi.input_terminated"] = True
    return environ


def replayed(exchange: Exchange) -> dict[str, Any]:
    """Return the WSGI environ of an exchange sent again (its scalars, the WSGI constants)."""
    environ: dict[str, Any] = dict(exchange.environ)
    environ.setdefault("wsgi.version", (1, 0))
    environ.setdefault("wsgi.errors", sys.stderr)
    return environ


def exchange_environ(environ: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Return the plain values of a live environ an exchange keeps (no headers but Host)."""
    return tuple(
        (key, value) for key, value in environ.items()
        if isinstance(value, str | bool | int | float)
        and (not key.startswith("HTTP_") or key == "HTTP_HOST")
    )
