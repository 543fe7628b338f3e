"""proxy.traffic: kinds, unmatched templates, batched counts added up in the store, and a
failed flush that loses nothing and raises nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from proxy import traffic
from proxy.traffic import TrafficCounter, kind_of, route_traffic, unmatched_template

NOW = 1_800_000_000.0  # a fixed clock: 2027-01-15 08:00 UTC


@pytest.mark.parametrize(("method", "environ", "kind"), [
    ("GET", {}, "request"),
    ("POST", {}, "request"),
    ("HEAD", {}, "head"),
    ("OPTIONS", {"HTTP_ACCESS_CONTROL_REQUEST_METHOD": "PUT"}, "preflight"),
    ("OPTIONS", {}, "options"),
])
def test_kind_of(method: str, environ: dict, kind: str) -> None:
    assert kind_of(method, environ) == kind


@pytest.mark.parametrize(("method", "path", "template"), [
    ("GET", "/api/legacy/reports", "GET /api/legacy/reports"),
    ("GET", "/api/v1/users/42", "GET /api/:param/users/:param"),
    ("DELETE", "/api/things/3f2a9c1e-aaaa-bbbb-cccc-000011112222", "DELETE /api/things/:param"),
    ("GET", "/", "GET /"),
    ("BREW", "/pot", "OTHER /pot"),
    ("GET", "/a/b/c/d/e/f/g/h/i/j", "GET /a/b/c/d/e/f/g/h/..."),
])
def test_unmatched_paths_count_by_template(method: str, path: str, template: str) -> None:
    assert unmatched_template(method, path) == template


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'traffic.sqlite'}")
    traffic.metadata.create_all(engine)
    yield engine
    engine.dispose()


def stored(engine: sa.Engine) -> dict[tuple, int]:
    with engine.connect() as connection:
        return {(r.route, r.matched, r.kind, r.side): r.requests for r in connection.execute(
            sa.select(route_traffic))}


def test_counts_are_batched_and_added_to_what_is_stored(engine: sa.Engine, tmp_path: Path) -> None:
    counter = TrafficCounter(lambda: engine, interval=3600, clock=lambda: NOW)
    try:
        for _ in range(3):
            counter.count("GET /api/tags", True, "request", "legacy")
        counter.count("GET /api/tags", True, "head", "legacy")
        assert stored(engine) == {}  # nothing written on the request path
        assert counter.flush()
        counter.count("GET /api/tags", True, "request", "legacy")  # another worker's, or later
        assert counter.flush()
    finally:
        counter.close()
    assert stored(engine) == {("GET /api/tags", True, "request", "legacy"): 4,
                              ("GET /api/tags", True, "head", "legacy"): 1}


def test_a_failed_flush_keeps_its_counts_for_the_next(engine: sa.Engine, tmp_path: Path) -> None:
    broken = sa.create_engine(f"sqlite:///{tmp_path / 'missing' / 'no.sqlite'}")  # no dir
    engines = [broken, engine]
    counter = TrafficCounter(lambda: engines.pop(0), interval=3600, clock=lambda: NOW)
    try:
        counter.count("GET /api/tags", True, "request", "legacy")
        assert not counter.flush()  # logged as a background error, never raised
        counter._engine = None  # the next flush builds its engine again: the working one
        counter.count("GET /api/tags", True, "request", "legacy")
        assert counter.flush()
    finally:
        counter.close()
    assert stored(engine) == {("GET /api/tags", True, "request", "legacy"): 2}


def test_unmatched_templates_are_capped_per_flush(engine: sa.Engine, tmp_path: Path) -> None:
    counter = TrafficCounter(lambda: engine, interval=3600, clock=lambda: NOW)
    try:
        for n in range(traffic.MAX_UNMATCHED + 5):
            counter.count(f"GET /scan/word{'x' * (n % 40)}{chr(97 + n // 40)}", False,
                          "request", "legacy")
        counter.flush()
    finally:
        counter.close()
    rows = stored(engine)
    assert len(rows) == traffic.MAX_UNMATCHED + 1
    assert rows[(traffic.UNMATCHED, False, "request", "legacy")] == 5


def test_prune_deletes_old_minutes(engine: sa.Engine, tmp_path: Path) -> None:
    now = datetime.fromtimestamp(NOW, UTC)
    old, new = int(NOW // 60) - 60 * 24 * 30, int(NOW // 60)
    traffic.record(engine, {(old, "GET /api/tags", True, "request", "legacy"): 1,
                            (new, "GET /api/tags", True, "request", "flask"): 2})
    assert traffic.prune(engine, timedelta(days=14), now=now) == 1
    assert stored(engine) == {("GET /api/tags", True, "request", "flask"): 2}


def test_shadow_calls_of_legacy_count_under_their_route_or_template(engine, upstream) -> None:
    from proxy.legacy_client import Urllib3LegacyClient
    from proxy.mirror_sides import Sides
    from proxy.schema import Timeouts
    from proxy.table import UNMATCHED_ROUTE
    from tests.support.factories import make_exchange

    counter = TrafficCounter(lambda: engine, interval=3600, clock=lambda: NOW)
    client = Urllib3LegacyClient(2)
    sides = Sides(lambda: None, client, upstream.url, Timeouts(), traffic=counter)
    try:
        for exchange in (make_exchange("GET /api/echo"),
                         make_exchange(UNMATCHED_ROUTE, method="GET", path="/api/echo/42")):
            assert sides.call("legacy", exchange, timeout=5, cap=10_000).status is not None
        counter.flush()
    finally:
        counter.close()
        for pool in client._pools.values():
            pool.close()
    assert stored(engine) == {("GET /api/echo", True, "shadow", "legacy"): 1,
                              ("GET /api/echo/:param", False, "shadow", "legacy"): 1}
