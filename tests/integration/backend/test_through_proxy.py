"""The Postman suite through the proxy with every route on Flask (no legacy at all), and with a
mixed table (operations alternately on each side), on PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import routes
from tests.support.conformance import assert_postman_passes
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess, free_port, proxy_process

pytestmark = [pytest.mark.postgres]


@pytest.fixture
def start_proxy(
    artifacts_dir: Path, tmp_path: Path
) -> Iterator[Callable[..., ServerProcess]]:
    started: list[ServerProcess] = []

    def start(routes_text: str, database_url: str, **env: str) -> ServerProcess:
        routes_file = tmp_path / f"routes-{len(started)}.yaml"
        routes_file.write_text(routes_text)
        metrics = tmp_path / f"metrics-{len(started)}"
        metrics.mkdir()
        server = proxy_process(routes_file, database_url, artifacts_dir, metrics, **env).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def table(serve: Callable[[int], str], default: str) -> str:
    """Return a routes.yaml with the n-th operation served by ``serve(n)``."""
    return routes.routes_yaml(lambda n, _route: serve(n), default=default)


def test_every_route_on_flask_with_no_legacy_running(
    database_kind: str, databases: DatabaseFactory, start_proxy: Callable[..., ServerProcess]
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens: legacy is not running
    proxy = start_proxy(table(lambda _: "flask", "flask"), databases.create(database_kind),
                        LEGACY_URL=nowhere)
    assert_postman_passes(proxy.url + "/api")
    assert "Traceback" not in proxy.log_path.read_text()


@pytest.mark.legacy
def test_a_mixed_table_alternating_sides(
    database_kind: str,
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_proxy: Callable[..., ServerProcess],
) -> None:
    database = databases.create(database_kind)
    legacy = start_legacy(database)
    for first, second in (("flask", "legacy"), ("legacy", "flask")):
        table_text = table(lambda n, a=first, b=second: (a, b)[n % 2], "legacy")
        proxy = start_proxy(table_text, database, LEGACY_URL=legacy.url)
        assert_postman_passes(proxy.url + "/api")
        proxy.stop()
