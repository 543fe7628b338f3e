"""Every route shadowed (legacy serves, Flask compared, writes dry-run): the Postman suite
and the comparative scenarios pass through the proxy and parity is 100% on every route,
with the in-process Mirror and through the queue (reads compared by a shadow worker)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration.shadow_proxy.scenarios import run_all
from tests.support import routes
from tests.support.conformance import assert_postman_passes
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess
from tests.support.shadow_proxy import comparisons, shadowed_routes, strangler

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]


def settled(database_url: str, limit: float = 30.0) -> int:
    """Wait until the parity writer has stored everything (the count stops growing)."""
    deadline, last = time.monotonic() + limit, -1
    while time.monotonic() < deadline:
        count = len(comparisons(database_url))
        if count == last:
            return count
        last = count
        time.sleep(1.5)
    return last


def test_postman_and_scenarios_through_the_shadow_proxy_match_fully(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    start_worker: Callable[..., ServerProcess | None],
    shadow_path: dict[str, str],
    artifacts_dir: Path,
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(shadowed_routes(), database, legacy.url, **shadow_path)
    worker = start_worker(proxy)
    assert_postman_passes(proxy.url + "/api")
    log = artifacts_dir / "shadow-scenarios.jsonl"
    assert run_all(proxy.url, log) > 50
    assert settled(database) > 300

    result = strangler(database, "parity", "report", "--json", "--since", "1h")
    assert result.returncode == 0, result.stderr
    rows = {row["route"]: row for row in json.loads(result.stdout)}
    assert sorted(rows) == sorted(routes.operations())
    problems = {route: (row["mismatch"], row["candidate_error"], row["timeout"],
                        row["skipped_overload"], row["top_paths"])
                for route, row in rows.items()
                if row["match_pct"] != 100.0 or row["candidate_error"] or row["timeout"]
                or row["skipped_overload"] or row["skipped_unsafe"]}
    assert not problems, json.dumps(problems, indent=1)[:6000]
    assert "Traceback" not in proxy.log()
    if worker is not None:  # the reads went through the queue, each stored once
        stored = comparisons(database)
        keyed = [row["exchange_key"] for row in stored if row["exchange_key"]]
        assert len(keyed) == len(set(keyed)) > 150
        assert all(row["method"] in ("GET", "HEAD", "OPTIONS") for row in stored
                   if row["exchange_key"])
        assert "Traceback" not in worker.log()
