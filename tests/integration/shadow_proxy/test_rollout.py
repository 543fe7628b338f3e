"""Gated rollouts end to end: real legacy, the proxy, PostgreSQL, controllers and a load loop.

A healthy candidate is promoted through every step to flask by exactly one of two
controllers; a candidate that starts to mismatch, error or time out on one route is rolled
back within one evaluation of the evidence breaching its gate, the other routes keeping
their steps. Figures from these runs are printed (pytest -s) and quoted in docs/rollout.md.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest

from proxy.schema import RolloutGate
from rollout.gate import BREACH, Figures, evaluate
from shadow.report import route_report
from tests.integration.shadow_proxy.altered import __name__ as altered_module
from tests.integration.shadow_proxy.rollout_stack import (
    INTERVAL,
    PLAN,
    Load,
    Store,
    Users,
    controller,
    rollout_table,
    steps,
)
from tests.support import routes
from tests.support.databases import DatabaseFactory
from tests.support.processes import TEST_JWT_SECRET, ServerProcess
from tests.support.shadow_proxy import strangler

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]
GATE = RolloutGate.model_validate({**PLAN["gate"], "window": 120})


def test_a_healthy_candidate_is_promoted_to_flask_by_one_of_two_controllers(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    artifacts_dir: Path,
    tmp_path: Path,
) -> None:
    planned = ("GET /api/tags", "GET /api/articles", "GET /api/profiles/:username")
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(rollout_table(planned), database, legacy.url,
                               app=altered_module + ":app")
    routes_file = tmp_path / "routes-0.yaml"
    users = Users.register(legacy.url, 12)
    store = Store(database)
    first, second = (controller(database, routes_file, artifacts_dir) for _ in range(2))
    load = Load(proxy.url, users, limit=6000)
    started = time.monotonic()
    try:
        while any(steps(routes_file)[r] != "flask" for r in planned):
            load.round(planned)
        took = time.monotonic() - started
        logs = [first.log(), second.log()]  # both still running
        leader = first if "leading" in logs[0] else second
        metrics = httpx.get(leader.url + "/metrics").text
    finally:
        load.close()
        first.stop()
        second.stop()
    decisions = store.decisions()
    store.engine.dispose()
    assert {d["actor"] for d in decisions} == {decisions[0]["actor"]}, "two controllers acted"
    for route in planned:
        assert [(d["from_state"], d["to_state"]) for d in decisions if d["route"] == route] == [
            ("shadow", "canary 10"), ("canary 10", "canary 50"), ("canary 50", "flask")]
    assert sorted(log.count("leading: acting") for log in logs) == [0, 1], logs
    assert sum("standby" in log for log in logs) == 1
    for route in planned:
        assert f'strangler_rollout_promotions_total{{route="{route}"}} 3.0' in metrics
        assert f'strangler_rollout_step{{route="{route}"}} 3.0' in metrics
        assert f'strangler_rollout_flask_percent{{route="{route}"}} 100.0' in metrics
    print(f"\npromoted {len(planned)} routes through 3 steps in {took:.1f}s,"
          f" {load.sent} requests; decisions:")
    for d in decisions:
        print(f"  {d['changed_at']:%H:%M:%S.%f} {d['route']}: {d['from_state']} ->"
              f" {d['to_state']}: {d['reason']}")


def breaching(store: Store, route: str, row: dict) -> bool:
    """Judge the route's gate on the store now, as the controller's next evaluation will."""
    since = max(row["since"], datetime.now(row["since"].tzinfo) - timedelta(seconds=120))
    report = route_report(store.engine, route, since, top=0)
    return evaluate(GATE, Figures.from_report(report, row["step"]), row["step"]).decision \
        == BREACH


def test_mismatches_errors_and_timeouts_roll_their_route_back_alone(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    artifacts_dir: Path,
    tmp_path: Path,
) -> None:
    faults = {"GET /api/articles": "count",        # articlesCount + 1: a mismatch
              "GET /api/tags": "error",            # the candidate raises
              "GET /api/profiles/:username": "hang"}  # 3 s, over the 1 s shadow timeout
    healthy = "GET /api/user"
    planned = (*faults, healthy)
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(rollout_table(planned), database, legacy.url,
                               app=altered_module + ":app")
    routes_file = tmp_path / "routes-0.yaml"
    users = Users.register(legacy.url, 12)
    on_legacy = users.on_legacy_up_to(50)  # their answers come from legacy on every canary
    assert on_legacy, "no user in legacy's share: register more"
    store = Store(database)
    ctl = controller(database, routes_file, artifacts_dir)
    load = Load(proxy.url, users, limit=8000)
    broke: dict[str, tuple[float, int]] = {}  # route -> (when, controller's evaluations then)
    try:
        while any(steps(routes_file)[r] == "shadow" for r in planned):
            load.round(planned)
        for route, how in faults.items():  # every route is on canary 10 now: switch on
            load.fault(route, how, on_legacy if how in ("error", "hang") else None)
        healthy_step = steps(routes_file)[healthy]
        while any(store.states()[r]["status"] != "rolled back" for r in faults):
            load.round(planned)
            states = store.states()
            for route in faults:
                row = states[route]
                if route not in broke and row["status"] == "running" \
                        and breaching(store, route, row):
                    broke[route] = (time.time(), row["evaluations"])
    finally:
        load.close()
        ctl.stop()
    decisions = store.decisions()
    states = store.states()
    store.engine.dispose()
    print("\nbreach to rollback:")
    for route in faults:
        back = [d for d in decisions if d["route"] == route and d["to_state"] == "shadow"]
        assert len(back) == 1, decisions
        evaluation = int(back[0]["reason"].split("evaluation #")[1].split(":")[0])
        if route in broke:  # the test saw the evidence breach before the controller acted
            assert evaluation <= broke[route][1] + 1, (route, evaluation, broke[route])
        assert steps(routes_file)[route] == "shadow"
        verdict = json.loads(states[route]["verdict"])
        at = back[0]["changed_at"].timestamp()
        seen = f"{at - broke[route][0]:.2f}s" if route in broke else "not seen by the test"
        print(f"  {route} ({faults[route]}): switched on {at - load.switched_on[route]:.2f}s"
              f" before the rollback; evidence breached {seen} before it (evaluation interval"
              f" {INTERVAL}s); {back[0]['reason']}; last verdict {verdict['decision']}")
    assert not [d for d in decisions if d["route"] == healthy and d["to_state"] == "shadow"]
    order = PLAN["steps"]
    assert order.index(steps(routes_file)[healthy]) >= order.index(healthy_step)


def test_over_1000_users_no_one_on_flask_goes_back_as_the_canary_grows(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    tmp_path: Path,
) -> None:
    """Through the real proxy: which side answered each of 1,000 users at 10%, 25%, 50%.

    altered.py's ``X-Test-Alter: nonce`` puts a ``nonce`` in Flask's answers only, so the
    body tells the side. Users are token subjects (tokens read unverified for the bucket)."""
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    table = routes.routes_yaml(routes={"GET /api/tags": {"serve": {"flask": 10, "legacy": 90}}})
    proxy = start_shadow_proxy(table, database, legacy.url, app=altered_module + ":app")
    routes_file = tmp_path / "routes-0.yaml"
    tokens = [jwt.encode({"id": n}, TEST_JWT_SECRET, algorithm="HS256") for n in range(1000)]
    served: dict[int, set[int]] = {}
    with httpx.Client(base_url=proxy.url, timeout=30) as client:
        for percent in (10, 25, 50):
            if percent != 10:
                flipped = strangler(database, "routes", "set", "GET /api/tags", "canary",
                                    str(percent), routes_file=routes_file)
                assert flipped.returncode == 0, flipped.stderr
                wait_for_version(client, routes_file)
            served[percent] = {
                n for n, t in enumerate(tokens)
                if "nonce" in client.get("/api/tags", headers={
                    "Authorization": f"Token {t}", "X-Test-Alter": "nonce"}).json()}
    print(f"\nusers on Flask of 1,000: {[len(served[p]) for p in (10, 25, 50)]} at 10/25/50%;"
          f" left Flask on a promotion: {len(served[10] - served[25])},"
          f" {len(served[25] - served[50])}")
    assert served[10] <= served[25] <= served[50]
    for percent, users in served.items():
        assert abs(len(users) / 10 - percent) <= 4


def wait_for_version(client: httpx.Client, routes_file: Path) -> None:
    """Wait (bounded) until the proxy serves the table now in ``routes_file``."""
    version = hashlib.sha256(routes_file.read_bytes()).hexdigest()[:16]
    for _ in range(200):
        if client.get("/health").json()["checks"]["routes"]["version"] == version:
            return
        time.sleep(0.05)
    raise AssertionError(f"the proxy never loaded version {version}")
