"""The proxy's route traffic as the tests read it: totals from ``route_traffic``, waited for
(each worker flushes its counts every STRANGLER_TRAFFIC_FLUSH_SECONDS)."""

from __future__ import annotations

import time
from datetime import timedelta

import sqlalchemy as sa

from proxy.traffic import route_traffic
from shadow import engine_from_url

FLUSH = "0.2"  # STRANGLER_TRAFFIC_FLUSH_SECONDS of the tests' proxies


def traffic_rows(database_url: str) -> list[dict]:
    """Return every stored count: minute, route, matched, kind, side, requests."""
    engine = engine_from_url(database_url)
    try:
        with engine.connect() as connection:
            return [dict(row) for row in connection.execute(
                sa.select(route_traffic)).mappings()]
    finally:
        engine.dispose()


def wait_for_traffic(database_url: str, total: int, limit: float = 20.0) -> list[dict]:
    """Poll until the stored counts add up to ``total`` requests (or ``limit`` passes)."""
    deadline = time.monotonic() + limit
    while True:
        rows = traffic_rows(database_url)
        if sum(r["requests"] for r in rows) >= total or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def age_traffic(database_url: str, by: timedelta) -> None:
    """Move every stored count ``by`` into the past: traffic a window can then leave out
    (PostgreSQL)."""
    engine = engine_from_url(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE route_traffic SET minute = minute"
                                       " - make_interval(secs => :secs)"),
                               {"secs": by.total_seconds()})
    finally:
        engine.dispose()
