"""The route table's series exist at zero from the moment it loads, and each route's state."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from prometheus_client import REGISTRY

from proxy import metrics, route_series
from proxy.validation import load_table

ROUTES = """
default: flask
routes:
  - route: GET /api/series/:slug
    serve: legacy
    shadow: flask
  - route: POST /api/series/:slug
    serve: legacy
    shadow: flask
  - route: PUT /api/series/:slug
    serve: legacy
    shadow: flask
    writes: dry-run
  - route: DELETE /api/series/:slug
    serve: {flask: 25, legacy: 75}
    shadow: true
    writes: dry-run
  - route: GET /api/series
    serve: flask
"""
ALL = {"match", "mismatch", "ignored", "candidate_error", "escaped_write", "timeout",
       "skipped_overload", "concurrent_write"}


def value(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def created(name: str, label: str, **labels: str) -> set[str]:
    """Return the values of ``label`` among the series of ``name`` matching ``labels``."""
    found = set()
    for family in REGISTRY.collect():
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                found.add(sample.labels[label])
    return found


@pytest.fixture(scope="module")
def table():
    table = load_table(ROUTES, "routes.yaml", None)
    route_series.publish(table)
    return table


@pytest.mark.parametrize(("sent", "label"), [
    ("GET", "GET"), ("HEAD", "HEAD"), ("OPTIONS", "OPTIONS"), ("PATCH", "PATCH"),
    ("get", "OTHER"), ("PROPFIND", "OTHER"), ("X" * 500, "OTHER"), ("", "OTHER"),
])
def test_the_method_label_takes_a_fixed_set_of_values(sent: str, label: str) -> None:
    assert metrics.method_label(sent) == label


def test_each_routes_request_series_exist_at_zero(table) -> None:
    get = "GET /api/series/:slug"
    assert created("strangler_proxy_requests_total", "method", route=get) == {"GET", "HEAD"}
    assert created("strangler_proxy_requests_total", "status_class", route=get) == {
        "2xx", "3xx", "4xx", "5xx"}
    assert created("strangler_proxy_requests_total", "side", route=get) == {"legacy"}
    assert value("strangler_proxy_requests_total", route=get, method="HEAD",
                 status_class="5xx", side="legacy") == 0.0
    assert created("strangler_proxy_requests_total", "method", route="POST /api/series/:slug"
                   ) == {"POST"}
    canary = "DELETE /api/series/:slug"
    assert created("strangler_proxy_requests_total", "side", route=canary) == {"flask", "legacy"}
    for side in ("flask", "legacy"):
        assert value("strangler_proxy_upstream_duration_seconds_count", route=canary,
                     side=side) == 0.0
        assert value("strangler_proxy_request_duration_seconds_bucket", route=canary,
                     side=side, le="+Inf") == 0.0


def test_unmatched_requests_have_every_known_method_and_other(table) -> None:
    methods = created("strangler_proxy_requests_total", "method", route="unmatched", side="flask")
    assert methods == {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"}
    assert created("strangler_proxy_requests_total", "status_class", route="unmatched",
                   side="none") >= {"4xx", "5xx"}
    assert value("strangler_proxy_upstream_errors_total", side="legacy", kind="connect") is not None


@pytest.mark.parametrize(("route", "outcomes"), [
    ("GET /api/series/:slug", ALL),
    ("POST /api/series/:slug", {"skipped_unsafe"}),  # writes are not mirrored
    ("PUT /api/series/:slug", ALL),  # dry-run
    ("DELETE /api/series/:slug", ALL | {"skipped_unsafe"}),  # legacy as candidate gets no write
    ("GET /api/series", set()),  # not shadowed
])
def test_each_route_has_the_outcomes_it_can_produce_at_zero(table, route, outcomes) -> None:
    assert created("shadow_comparisons_total", "outcome", route=route) == outcomes
    for outcome in outcomes:
        assert value("shadow_comparisons_total", route=route, outcome=outcome) == 0.0
    shadowed = bool(outcomes)
    assert (value("shadow_candidate_seconds_count", route=route) == 0.0) is shadowed
    assert (value("shadow_noise_paths_total", route=route) == 0.0) is shadowed


def test_each_route_has_its_state_and_a_left_state_goes_to_zero(table) -> None:
    assert value("strangler_route_state", route="GET /api/series/:slug", state="shadow") == 1
    assert value("strangler_route_state", route="DELETE /api/series/:slug",
                 state="canary 25") == 1
    assert value("strangler_route_state", route="GET /api/series", state="flask alone") == 1
    route_series.publish(load_table(ROUTES.replace("flask: 25", "flask: 50").replace(
        "legacy: 75", "legacy: 50"), "routes.yaml", None))
    assert value("strangler_route_state", route="DELETE /api/series/:slug", state="canary 25") == 0
    assert value("strangler_route_state", route="DELETE /api/series/:slug", state="canary 50") == 1
    route_series.publish(load_table("routes: []", "routes.yaml", None))
    assert value("strangler_route_state", route="GET /api/series/:slug", state="shadow") == 0
    route_series.publish(table)  # leave the module's table in force


def test_series_and_states_are_merged_across_worker_processes(tmp_path) -> None:
    """Each gunicorn worker loads the table itself: zeros and states survive the merge."""
    script = textwrap.dedent(
        f"""
        import os
        from prometheus_client import CollectorRegistry, multiprocess
        from proxy import route_series
        from proxy.validation import load_table

        old = load_table({ROUTES!r}, "routes.yaml", None)
        new = load_table({ROUTES.replace("flask: 25", "flask: 50").replace("legacy: 75",
                          "legacy: 50")!r}, "routes.yaml", None)
        for tables in ([old], [old, new], [new]):  # a stale worker, a flipped one, a new one
            if os.fork() == 0:
                for table in tables:
                    route_series.publish(table)
                os._exit(0)
            os.wait()
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        get = registry.get_sample_value
        print(get("shadow_comparisons_total", {{"route": "GET /api/series/:slug",
                                               "outcome": "match"}}))
        print(get("strangler_proxy_requests_total", {{"route": "GET /api/series/:slug",
              "method": "HEAD", "status_class": "3xx", "side": "legacy"}}))
        print(get("strangler_route_state", {{"route": "DELETE /api/series/:slug",
                                            "state": "canary 25"}}))
        print(get("strangler_route_state", {{"route": "DELETE /api/series/:slug",
                                            "state": "canary 50"}}))
        """
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    completed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                               text=True, check=True)
    assert completed.stdout.split() == ["0.0", "0.0", "0.0", "1.0"]
