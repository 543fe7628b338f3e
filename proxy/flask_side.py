"""Serve a request from the Flask backend in-process: a WSGI call, no network hop."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Flask

from proxy.body import LimitedInput
from proxy.headers import upstream_headers

_BODY_HEADERS = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}


def backend_environ(environ: dict[str, Any], rid: str, body: Iterator[bytes] | None) -> None:
    """Rewrite ``environ`` in place with the headers legacy would get, and a limited body."""
    headers = upstream_headers(environ, rid)
    host = environ.get("HTTP_HOST")
    for key in [k for k in environ if k.startswith("HTTP_") or k in _BODY_HEADERS.values()]:
        del environ[key]
    for name, value in headers.items():
        key = _BODY_HEADERS.get(name) or "HTTP_" + name.upper().replace("-", "_")
        environ[key] = value
    if host:
        environ["HTTP_HOST"] = host
    environ["wsgi.input"] = LimitedInput(body if body is not None else iter(()))
    if body is not None and "CONTENT_LENGTH" not in environ:
        environ["wsgi.input_terminated"] = True


def call_backend(
    app: Flask,
    environ: dict[str, Any],
    rid: str,
    body: Iterator[bytes] | None,
    start_response: Callable[..., Any],
) -> Iterable[bytes]:
    """Call the backend's WSGI app on a rewritten copy of the request."""
    backend_environ(environ, rid, body)
    return app(environ, start_response)
