"""Every Grafana panel query and every alert expression, evaluated by a real Prometheus that
scraped a real proxy, gives the figure the known traffic, the parity store and the dashboard
give, low-traffic routes included.

Instant queries are evaluated at a scrape's timestamp over a range starting at the first
scrape, so Prometheus extrapolates nothing and a count is exact; what an operator sees at any
other moment is checked once, rounded as the panel shows it.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from typing import Any

import httpx
import psycopg
import pytest
import sqlalchemy as sa

from proxy import metrics as proxy_metrics
from proxy.lifecycle import state_name
from proxy.validation import load_table
from shadow import engine_from_url, schema
from shadow import metrics as shadow_metrics
from tests.support.monitored_stack import OUTCOMES, SLUG_ROUTE, Stack, rewrite
from tests.support.monitoring import DASHBOARD, alert_rules

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]

KNOWN = {  # the comparisons drive_known_traffic and the appearing route make
    "GET /api/tags": {"match": 5},
    "GET /api/profiles/:username": {"mismatch": 1},
    "GET /api/articles": {"match": 2, "mismatch": 1},
    "GET /api/articles/:slug/comments": {"match": 2},
    "GET /api/user": {"candidate_error": 1, "timeout": 1},
    "GET /api/articles/feed": {"match": 1, "skipped_overload": 1},
    "POST /api/users/login": {"skipped_unsafe": 1},
    "GET /api/articles/:slug": {"match": 1},
}
SHADOWED = set(KNOWN) | {"DELETE /api/articles/:slug"}
SINGLE = ("GET /api/profiles/:username", "GET /api/articles/:slug")
UPSTREAM_KINDS = ("connect", "timeout", "pool", "protocol")
PANELS = {(panel["id"], target["refId"]): (panel, target)
          for panel in json.loads(DASHBOARD.read_text())["panels"]
          for target in panel.get("targets", [])}
RULES = {rule["alert"]: rule for rule in alert_rules()}


def panel(stack: Stack, ident: tuple[int, str], at: float, window: str | None = None
          ) -> list[dict[str, Any]]:
    """Evaluate a panel's query at ``at`` as Grafana would, every route selected."""
    expr = PANELS[ident][1]["expr"].replace("$route", ".*")
    window = window or stack.window(at)
    expr = expr.replace("$__range", window).replace("$__rate_interval", window)
    stack.checked.add(f"panel {ident}")
    return stack.prometheus.query(expr, at)


def rule(stack: Stack, name: str, at: float) -> list[dict[str, Any]]:
    """Evaluate an alerting rule's expression at ``at``."""
    stack.checked.add(f"rule {name}")
    return stack.prometheus.query(RULES[name]["expr"], at)


def by(elements: list[dict[str, Any]], *labels: str) -> dict[Any, float]:
    """Index an instant vector by the given labels (one label: its value; else a tuple)."""
    found = {}
    for element in elements:
        key = tuple(element["metric"].get(label) for label in labels)
        found[key[0] if len(key) == 1 else key] = float(element["value"][1])
    return found


def per_second(elements: list[dict[str, Any]], stack: Stack, at: float, *labels: str
               ) -> dict[Any, float]:
    """Turn a rate() panel's values back into counts over the evaluated window."""
    seconds = at - stack.first_scrape
    return {key: round(value * seconds, 6) for key, value in by(elements, *labels).items()}


def decimals(column: str) -> int:
    """Return the decimals the parity table shows in ``column``."""
    for override in PANELS[(1, "A")][0]["fieldConfig"]["overrides"]:
        if override["matcher"]["options"] == column:
            return next(p["value"] for p in override["properties"] if p["id"] == "decimals")
    raise AssertionError(f"the parity table has no decimals for {column!r}")


def bucket(bounds: tuple[float, ...], seconds: float) -> tuple[float, float]:
    """Return the (lower, upper] bounds of the histogram bucket holding ``seconds``."""
    lower = 0.0
    for upper in bounds:
        if seconds <= upper:
            return lower, upper
        lower = upper
    return lower, math.inf


def assert_quantile(value: float, observed: list[float], q: float, bounds: tuple[float, ...]
                    ) -> None:
    """A histogram quantile lies in the bucket of the true (nearest-rank) quantile."""
    true = sorted(observed)[math.ceil(q * len(observed)) - 1]
    lower = bucket(bounds, true - 1e-6)[0]  # the logs keep microseconds: allow a neighbour
    upper = bucket(bounds, true + 1e-6)[1]
    finite = [b for b in bounds if b != math.inf]
    assert lower <= value <= min(upper, finite[-1]), (value, true, q, observed)


def test_the_scenario_made_the_known_comparisons(stack: Stack, traffic: float) -> None:
    rows = stack.report
    assert {route: {o: n for o in OUTCOMES if (n := row[o])} for route, row in rows.items()
            } == KNOWN


def test_a_route_with_one_comparison_shows_the_dashboards_and_the_reports_figures(
    stack: Stack, traffic: float
) -> None:
    at = traffic
    parity = by(panel(stack, (1, "A"), at), "route")
    compared = by(panel(stack, (1, "B"), at), "route")
    failures = by(panel(stack, (1, "C"), at), "route")
    rows = stack.report
    dashboard = {row["route"]: row for row in stack.dashboard_overview()}
    for route in SINGLE:  # the scenario: one comparison each, a mismatch and a match
        assert compared[route] == rows[route]["compared"] == dashboard[route]["compared"] == 1
        assert round(parity[route], 2) == rows[route]["match_pct"] == dashboard[route]["match_pct"]
    assert parity["GET /api/profiles/:username"] == 0.0
    assert parity["GET /api/articles/:slug"] == 100.0
    judged = {route for route, row in rows.items() if row["match_pct"] is not None}
    assert set(parity) == judged
    for route in judged:
        assert round(parity[route], 2) == rows[route]["match_pct"] == dashboard[route][
            "match_pct"]
    assert set(compared) == set(failures) == SHADOWED
    for route in SHADOWED:
        row = rows.get(route, {"compared": 0, "candidate_error": 0, "timeout": 0})
        assert compared[route] == row["compared"]
        assert failures[route] == row["candidate_error"] + row["timeout"]
        if route in dashboard:
            assert dashboard[route]["compared"] == row["compared"]
            assert dashboard[route]["candidate_errors"] == failures[route]


def test_what_an_operator_sees_at_any_moment_rounds_to_the_same_figures(
    stack: Stack, traffic: float
) -> None:
    """Grafana asks at "now" over its time range (1 h here): increase() then extrapolates by
    up to one scrape interval at the end, which the panel's decimals round away."""
    at = stack.prometheus.scraped_after(traffic + 3) + 0.5  # no traffic since: same figures
    rows = stack.report
    shown = {ref: {route: round(value, decimals(column)) for route, value in
                   by(panel(stack, (1, ref), at, "1h"), "route").items()}
             for ref, column in (("A", "parity %"), ("B", "compared"),
                                 ("C", "candidate errors"))}
    for route in SHADOWED:
        row = rows.get(route, {"compared": 0, "candidate_error": 0, "timeout": 0,
                               "match_pct": None})
        assert shown["B"][route] == row["compared"]
        assert shown["C"][route] == row["candidate_error"] + row["timeout"]
        assert shown["A"].get(route) == row["match_pct"]


def test_parity_over_time_and_outcomes_count_every_comparison(stack: Stack, traffic: float
                                                              ) -> None:
    at = traffic
    rows = stack.report
    over_time = by(panel(stack, (2, "A"), at), "route")
    assert {route: round(value, 2) for route, value in over_time.items()} == {
        route: row["match_pct"] for route, row in rows.items() if row["match_pct"] is not None}
    outcomes = per_second(panel(stack, (3, "A"), at), stack, at, "outcome")
    assert outcomes == {o: sum(row[o] for row in rows.values()) for o in OUTCOMES}
    # As a graph draws them (Grafana's $__rate_interval is 4 scrape intervals): the single
    # comparison of each low-traffic route is a point, and only its verdict is ever drawn.
    graph = PANELS[(2, "A")][1]["expr"].replace("$route", ".*").replace("$__rate_interval",
                                                                       "4s")
    drawn = {series["metric"]["route"]: {float(v) for _, v in series["values"]}
             for series in stack.prometheus.query_range(graph, stack.first_scrape, at, 1)}
    assert drawn["GET /api/profiles/:username"] == {0.0}
    assert drawn["GET /api/articles/:slug"] == {100.0}
    rates = PANELS[(3, "A")][1]["expr"].replace("$route", ".*").replace("$__rate_interval",
                                                                        "4s")
    seen = {series["metric"]["outcome"]: max(float(v) for _, v in series["values"])
            for series in stack.prometheus.query_range(rates, stack.first_scrape, at, 1)}
    assert {o for o, peak in seen.items() if peak > 0} == {
        o for o in OUTCOMES if any(row[o] for row in rows.values())}


def test_candidate_latency_lies_in_the_bucket_of_the_stored_latencies(
    stack: Stack, traffic: float
) -> None:
    at = traffic
    engine = engine_from_url(stack.database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.select(
                schema.comparisons.c.route, schema.comparisons.c.candidate_ms,
            ).where(schema.comparisons.c.candidate_ms.is_not(None))).all()
    finally:
        engine.dispose()
    observed: dict[str, list[float]] = {}
    for route, ms in stored:
        observed.setdefault(route, []).append(ms / 1000)
    bounds = shadow_metrics.CANDIDATE_SECONDS._upper_bounds
    for ref, q in (("A", 0.5), ("B", 0.99)):
        quantiles = by(panel(stack, (5, ref), at), "route")
        assert set(quantiles) == set(observed)  # routes without comparisons draw nothing
        for route, value in quantiles.items():
            assert_quantile(value, observed[route], q, bounds)


def test_route_states_are_the_route_files(stack: Stack, traffic: float) -> None:
    table = load_table(stack.routes_file.read_text(), "routes.yaml", None)
    states = panel(stack, (11, "A"), traffic)
    assert set(by(states, "route", "state")) == {
        (route.template, state_name(route.entry)) for route in table.routes}


def test_the_traffic_alerts_name_the_right_routes(stack: Stack, traffic: float) -> None:
    at = traffic
    assert by(rule(stack, "StranglerParityBelowThreshold", at), "route") == pytest.approx(
        {"GET /api/articles": 200 / 3})  # flipped; the shadow-only 0% route is not named
    assert by(rule(stack, "StranglerCandidateFailing", at), "route") == {"GET /api/user": 1.0}
    assert by(rule(stack, "StranglerComparisonsShed", at), "route") == {
        "GET /api/articles/feed": 0.5}
    for quiet in ("StranglerRoutesFileRejected", "StranglerLegacyUnreachable",
                  "StranglerParityStoreLosingWrites", "StranglerProxyDown"):
        assert rule(stack, quiet, at) == [], quiet
    assert at - stack.first_scrape < 15 * 60, "the rules' 15-minute windows must see it all"
    rules = stack.prometheus.api("rules")["groups"]
    assert {r["name"]: r["health"] for g in rules for r in g["rules"]} == {
        name: "ok" for name in RULES}
    pending = {("StranglerParityBelowThreshold", "GET /api/articles"),
               ("StranglerCandidateFailing", "GET /api/user"),
               ("StranglerComparisonsShed", "GET /api/articles/feed")}
    deadline = time.monotonic() + 30
    while True:  # Prometheus evaluates the rules themselves every second
        alerts = stack.prometheus.api("query", query="ALERTS")["result"]
        found = {(a["metric"]["alertname"], a["metric"].get("route")) for a in alerts}
        if found == pending or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert found == pending


def test_a_rejected_routes_file_shows_and_alerts_until_it_is_fixed(
    stack: Stack, traffic: float
) -> None:
    assert by(panel(stack, (8, "A"), traffic), "job") == {None: 0.0}
    good = stack.routes_file.read_text()
    rewrite(stack.routes_file, good.replace("serve: legacy", "serve: sideways", 1))
    stack.wait_for_events("routes_rejected", 2)  # each worker rejects it
    at = stack.prometheus.scraped_after(time.time())
    assert by(panel(stack, (8, "A"), at), "job") == {None: 1.0}
    assert [e["metric"]["instance"] for e in rule(stack, "StranglerRoutesFileRejected", at)
            ] == [f"127.0.0.1:{stack.proxy.port}"]
    assert by(panel(stack, (9, "A"), at), "job") == {None: stack.events("routes_loaded") - 2}
    assert by(panel(stack, (9, "B"), at), "job") == {None: 2.0}
    rewrite(stack.routes_file, good)
    stack.wait_for_events("routes_loaded", 6)
    at = stack.prometheus.scraped_after(time.time())
    assert by(panel(stack, (8, "A"), at), "job") == {None: 0.0}
    assert rule(stack, "StranglerRoutesFileRejected", at) == []
    assert by(panel(stack, (9, "A"), at), "job") == {None: 4.0}  # the route that appeared, and
    # the good file again after the bad one, each loaded by both workers


def test_comparisons_the_store_could_not_write_show_and_alert(stack: Stack, traffic: float
                                                              ) -> None:
    assert by(panel(stack, (12, "A"), traffic), "job") == {None: 0.0}
    with psycopg.connect(stack.database_url, autocommit=True) as connection:
        connection.execute("ALTER TABLE parity_comparisons RENAME TO parity_comparisons_away")
        try:
            with httpx.Client(base_url=stack.proxy.url, timeout=10) as client:
                for _ in range(2):
                    assert client.get("/api/tags").status_code == 200
            deadline = time.monotonic() + 20
            while stack.exposed("shadow_store_failed_total") < 2:
                assert time.monotonic() < deadline, stack.proxy.log()
                time.sleep(0.2)
        finally:
            connection.execute("ALTER TABLE parity_comparisons_away RENAME TO parity_comparisons")
    at = stack.prometheus.scraped_after(time.time())
    assert by(panel(stack, (12, "A"), at), "job") == {None: 2.0}
    assert by(rule(stack, "StranglerParityStoreLosingWrites", at), "instance") == {
        f"127.0.0.1:{stack.proxy.port}": 2.0}
    rows = {row["route"]: row for row in stack.parity_report()}
    assert rows["GET /api/tags"]["match"] == 5  # what the alert is about
    stack.prometheus.wait_for(
        'ALERTS{alertname="StranglerParityStoreLosingWrites",alertstate="firing"}')


PLANNED = "GET /api/articles/:slug"
PLAN = """\
rollout:                                   # small enough for a handful of requests
  steps: [shadow, canary 50]
  gate: {parity: 50, min_comparisons: 5, window: 10m, candidate_errors: 0,
         latency_ratio_p99: null}
  hold: 1ms                                # the next passing evaluation promotes
  on_breach: rollback
"""


def test_the_rollout_panels_show_what_the_controller_did(stack: Stack, traffic: float
                                                         ) -> None:
    """`strangler rollout --once` runs on the stack's routes.yaml, writing into the proxy's
    multiprocess directory: hold, pass, pass (promoted to canary 50), hold, breach (rolled
    back).
    The figures are checked against routes.yaml, `rollout status --json` and the audit rows."""
    text = stack.routes_file.read_text()
    assert SLUG_ROUTE in text and "\nrollout:" not in text
    loads = stack.events("routes_loaded")
    rewrite(stack.routes_file, text.replace("routes:\n", PLAN + "routes:\n", 1).replace(
        SLUG_ROUTE, SLUG_ROUTE + "    rollout: default\n"))
    stack.wait_for_events("routes_loaded", loads + 2)

    decisions: list[str] = []

    def once() -> dict[str, Any]:
        """One evaluation by a fresh controller; return the route's status after it."""
        stack.rollout("run", "--once")
        status = stack.rollout_status()
        assert set(status) == {PLANNED}
        row = status[PLANNED]
        assert row["evaluations"] == len(decisions) + 1  # each run judged the route once
        decisions.append(row["gate"]["decision"])
        return row

    def send(count: int, headers: dict[str, str]) -> None:
        """Send ``count`` requests to the planned route; wait until the store has them."""
        before = stack.stored()
        with httpx.Client(base_url=stack.proxy.url, timeout=30) as client:
            for _ in range(count):
                answer = client.get(f"/api/articles/{stack.slug}", headers=headers)
                assert answer.status_code in (200, 418), answer.text
        deadline = time.monotonic() + 20
        while stack.stored() < before + count:
            assert time.monotonic() < deadline, (stack.stored(), before, count)
            time.sleep(0.2)
        assert stack.stored() == before + count

    def share(step: str) -> float:
        """Flask's share of users on a step, as docs/rollout.md defines it."""
        fixed = {"shadow": 0.0, "flask": 100.0}
        return fixed[step] if step in fixed else float(step.removeprefix("canary "))

    first = once()  # one comparison so far (the route appearing): too few, hold
    assert (first["step"], first["gate"]["decision"]) == ("shadow", "hold")
    start = stack.prometheus.scraped_after(time.time())  # every series exists from here

    send(5, {})  # matches
    passing = once()  # the gate passes; it has to have held (1 ms) before a promotion
    assert (passing["step"], passing["gate"]["decision"]) == ("shadow", "pass")
    loads = stack.events("routes_loaded")
    promoted = once()
    assert (promoted["step"], promoted["gate"]["decision"]) == ("canary 50", "pass")
    stack.wait_for_events("routes_loaded", loads + 2)  # both workers serve the canary
    at = stack.prometheus.scraped_after(time.time())
    on_file = steps(stack)
    assert on_file[PLANNED] == "canary 50"
    assert by(panel(stack, (13, "A"), at), "route") == {PLANNED: share(on_file[PLANNED])}

    assert once()["gate"]["decision"] == "hold"  # nothing compared on the new step yet
    send(5, {"X-Test-Alter": "status"})  # Flask answers 418: mismatches
    loads = stack.events("routes_loaded")
    rolled = once()
    assert (rolled["step"], rolled["status"], rolled["gate"]["decision"]) == (
        "shadow", "rolled back", "breach")
    stack.wait_for_events("routes_loaded", loads + 2)
    at = stack.prometheus.scraped_after(time.time())
    on_file = steps(stack)
    assert on_file[PLANNED] == "shadow"
    assert by(panel(stack, (13, "A"), at), "route") == {PLANNED: share(on_file[PLANNED])}

    engine = engine_from_url(stack.database_url)
    try:
        with engine.connect() as connection:
            audit = connection.execute(sa.text(
                "SELECT from_state, to_state, reason FROM route_changes"
                " WHERE actor LIKE 'rollout@%' ORDER BY id")).all()
    finally:
        engine.dispose()
    assert [(a.from_state, a.to_state) for a in audit] == [("shadow", "canary 50"),
                                                           ("canary 50", "shadow")]
    window = f"{round((at - start) * 1000)}ms"  # from a scrape after the first run
    assert by(panel(stack, (14, "A"), at, window), "route") == {
        PLANNED: sum(a.reason.startswith("promoted") for a in audit)}
    assert by(panel(stack, (14, "B"), at, window), "route", "action") == {
        (PLANNED, "rollback"): sum(a.reason.startswith("rolled back") for a in audit),
        (PLANNED, "pause"): 0.0}  # a pause moves nothing: no audit row, status "paused"
    evaluated = {decision: round(value * (at - start), 6) for decision, value in
                 by(panel(stack, (14, "C"), at, window), "decision").items()}
    assert evaluated == dict(Counter(decisions[1:]))  # what each run left in the status
    assert evaluated == {"pass": 2, "hold": 1, "breach": 1}


def steps(stack: Stack) -> dict[str, str]:
    """Return each route's step as routes.yaml says now."""
    table = load_table(stack.routes_file.read_text(), "routes.yaml", None)
    return {route.template: state_name(route.entry) for route in table.routes}


def test_legacy_down_and_every_request_panel_match_the_access_log(stack: Stack, traffic: float
                                                                 ) -> None:
    stack.legacy.stop()
    down = 10  # over a tenth (the rule's threshold) of every legacy request of the module
    with httpx.Client(base_url=stack.proxy.url, timeout=10) as client:
        for _ in range(down):
            assert client.get("/api/nothing-here").status_code == 502
    at = stack.prometheus.scraped_after(time.time())
    assert at - stack.first_scrape < 5 * 60, "the rule's 5-minute window must see it all"
    lines = stack.requests()
    legacy = [line for line in lines if line["side"] == "legacy"]
    failed = [line for line in legacy if line.get("error") in UPSTREAM_KINDS]
    assert len(failed) == down and down / len(legacy) > 0.1, len(legacy)
    assert by(rule(stack, "StranglerLegacyUnreachable", at), "instance") == pytest.approx(
        {f"127.0.0.1:{stack.proxy.port}": down / len(legacy)})

    requests = per_second(panel(stack, (6, "A"), at), stack, at, "route", "side")
    sent = Counter((line["route"], line["side"]) for line in lines)
    assert {key: n for key, n in requests.items() if n} == sent
    assert set(sent) <= set(requests)
    classes = per_second(panel(stack, (7, "A"), at), stack, at, "status_class", "side")
    got = Counter((f"{line['status'] // 100}xx", line["side"]) for line in lines)
    assert {key: n for key, n in classes.items() if n} == got
    errors = per_second(panel(stack, (10, "A"), at), stack, at, "side", "kind")
    assert errors == {("legacy", kind): 0.0 for kind in UPSTREAM_KINDS} | dict(
        Counter((line["side"], line["error"]) for line in failed))
    assert 'method="OTHER",route="unmatched",side="legacy",status_class="4xx"' in (
        stack.exposition())  # PROPFIND: one label value for every unknown method

    observed: dict[tuple[str, str], list[float]] = {}
    for line in lines:
        if line["upstream_ms"] is not None:
            observed.setdefault((line["route"], line["side"]), []).append(
                line["upstream_ms"] / 1000)
    bounds = proxy_metrics.UPSTREAM_SECONDS._upper_bounds
    for ref, q in (("A", 0.5), ("B", 0.99)):
        quantiles = by(panel(stack, (4, ref), at), "route", "side")
        assert set(quantiles) == set(observed)
        for key, value in quantiles.items():
            assert_quantile(value, observed[key], q, bounds)


def test_a_proxy_prometheus_cannot_scrape_alerts_and_everything_was_checked(
    stack: Stack, traffic: float
) -> None:
    stack.proxy.stop()
    stack.prometheus.wait_for('up{job="strangler-proxy"} == 0')
    at = stack.prometheus.scraped_after(time.time())
    assert by(rule(stack, "StranglerProxyDown", at), "instance") == {
        f"127.0.0.1:{stack.proxy.port}": 0.0}
    stack.prometheus.wait_for('ALERTS{alertname="StranglerProxyDown",alertstate="pending"}')
    assert stack.checked == {f"panel {ident}" for ident in PANELS} | {
        f"rule {name}" for name in RULES}
