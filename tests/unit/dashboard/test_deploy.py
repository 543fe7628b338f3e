"""deploy/: the Grafana dashboard and the Prometheus scrape config use metrics that exist."""

from __future__ import annotations

import json
import re

from ruamel.yaml import YAML

from tests.support.monitoring import DASHBOARD, DEPLOY, NAME, exposed_names, panel_targets


def test_every_grafana_query_uses_an_exposed_metric_and_its_labels():
    exprs = [target["expr"] for _, target in panel_targets()]
    exposed = exposed_names()
    used = {name for expr in exprs for name in NAME.findall(expr)}
    assert used <= set(exposed), used - set(exposed)
    assert {"shadow_comparisons_total", "shadow_candidate_seconds_bucket",
            "strangler_proxy_upstream_duration_seconds_bucket",
            "strangler_proxy_routes_file_rejected", "strangler_route_state"} <= used
    for expr in exprs:
        for names in re.findall(r"by \(([^)]*)\)", expr):
            metric = NAME.search(expr).group(1)
            assert {n.strip() for n in names.split(",")} <= exposed[metric], expr


def test_the_route_variable_and_datasource_input_are_declared():
    dashboard = json.loads(DASHBOARD.read_text())
    # DS_PROMETHEUS as a datasource variable too: file provisioning never fills __inputs.
    assert [v["name"] for v in dashboard["templating"]["list"]] == ["DS_PROMETHEUS", "route"]
    assert dashboard["__inputs"][0]["name"] == "DS_PROMETHEUS"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))


def test_prometheus_scrapes_the_proxy_metrics_endpoint():
    config = YAML(typ="safe").load((DEPLOY / "prometheus.yml").read_text())
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    assert job["static_configs"][0]["targets"]
    assert config["rule_files"] == ["prometheus/alerts.yml"]
