"""Shadow mode compares the status lines' reason phrases (issue 14): a candidate answering
``404 NOT FOUND`` where legacy answers ``404 Not Found`` is a mismatch at ``reason``, through
a real shadowing proxy and real legacy, unless the table says ``compare_reason: false``."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.integration.shadow_proxy.test_control_never_hurt import ALTERED, differing_paths
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess
from tests.support.shadow_proxy import shadowed_routes, wait_for_comparisons

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]


@pytest.mark.parametrize("compare_reason", [True, False])
def test_reason_phrases_are_compared_unless_switched_off(
    compare_reason: bool,
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    http: Callable[[str], httpx.Client],
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    table = shadowed_routes()
    if not compare_reason:
        table = table.replace("shadow:\n", "shadow:\n  compare_reason: false\n", 1)
    proxy = start_shadow_proxy(table, database, legacy.url, app=ALTERED)
    api = http(proxy.url)
    for rid, how in (("same", None), ("upper", "reason")):
        headers = {"X-Request-ID": rid, **({"X-Test-Alter": how} if how else {})}
        response = api.get("/api/articles/no-such-article", headers=headers)
        assert (response.status_code, response.reason_phrase) == (404, "Not Found")

    rows = {row["request_id"]: row for row in wait_for_comparisons(database, 2)}
    assert rows["same"]["outcome"] == "match"
    if compare_reason:
        assert rows["upper"]["outcome"] == "mismatch"
        assert differing_paths(database, "upper") == ["reason"]
    else:
        assert rows["upper"]["outcome"] == "match"
    assert "Traceback" not in proxy.log()
