"""Fixtures for shadow's unit tests: observations built from JSON-like data."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from shadow.observation import Observation

EXPRESS_HEADERS = {
    "X-Powered-By": "Express",
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": "123",
    "ETag": 'W/"7b-abc"',
    "Date": "Thu, 26 Nov 2026 04:00:00 GMT",
    "Connection": "keep-alive",
    "Keep-Alive": "timeout=5",
    "Vary": "Origin",
    "Access-Control-Allow-Origin": "*",
}
# The backend sends X-Powered-By and a weak ETag like Express (backend/headers.py).
FLASK_HEADERS = {
    "Server": "gunicorn",
    "X-Powered-By": "Express",
    "ETag": 'W/"82-def"',
    "Date": "Thu, 26 Nov 2026 04:00:01 GMT",
    "content-type": "application/json;charset=UTF-8",
    "content-length": "130",
    "vary": "origin",
    "access-control-allow-origin": "*",
}


@pytest.fixture
def observe() -> Callable[..., Observation]:
    """Build an Observation from data: ``observe(body, status=200, headers=..., raw=...)``."""

    def build(
        body: Any = None,
        *,
        status: int = 200,
        headers: Any = None,
        raw: bytes | None = None,
        side: str = "legacy",
    ) -> Observation:
        if headers is None:
            headers = EXPRESS_HEADERS if side == "legacy" else FLASK_HEADERS
        data = raw if raw is not None else json.dumps(body).encode() if body is not None else b""
        return Observation(status=status, headers=headers, body=data, duration=0.01)

    return build
