"""`make demo`'s driver (tools/demo.py) against real legacy and the real proxy: it shadows
routes with the real CLI, seeds and reads through the proxy, and leaves real parity figures
with exactly one explained mismatch (each side's own clock on POST /api/articles)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess, proxy_process
from tools import demo

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]


def test_demo_leaves_parity_figures_and_one_explained_mismatch(
    databases: DatabaseFactory, start_legacy: Callable[..., ServerProcess],
    artifacts_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = databases.create("postgresql")
    routes_file = tmp_path / "demo-routes.yaml"
    demo.demo_table(Path(demo.__file__).resolve().parents[1] / "routes.yaml", routes_file)
    legacy = start_legacy(database)
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    proxy = proxy_process(routes_file, database, artifacts_dir, metrics, name="demo-proxy",
                          LEGACY_URL=legacy.url, WEB_CONCURRENCY="1").start()
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("ROUTES_FILE", str(routes_file))
    try:
        result = demo.drive(proxy.url, database, rounds=2)
    finally:
        proxy.stop()

    reports = {report.route: report for report in result["reports"]}
    assert set(reports) == set(demo.SHADOWED), sorted(reports)
    assert sum(r.compared for r in reports.values()) == result["expected"]
    seeded = reports.pop(demo.SEEDED_ROUTE)
    assert seeded.outcomes["mismatch"] == seeded.compared == len(demo.ARTICLES)
    assert {path for path, _ in seeded.top_paths} == set(demo.CLOCK_RULES)
    for route, report in reports.items():
        assert report.outcomes["match"] == report.compared > 0, (route, report.outcomes)
    text = demo.describe(result, proxy.url + "/_strangler")
    assert "body.article.createdAt" in text and "each side's own clock" in text
    with pytest.raises(SystemExit, match="127.0.0.1 only"):
        demo.drive("http://example.com", database)
