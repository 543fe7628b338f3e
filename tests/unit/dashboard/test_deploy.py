"""deploy/: the Grafana dashboard and the Prometheus scrape config use metrics that exist."""

from __future__ import annotations

import json
import re
from pathlib import Path

import prometheus_client
from ruamel.yaml import YAML

from proxy import metrics as proxy_metrics
from shadow import metrics as shadow_metrics

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"),
            "gauge": ("",)}
NAME = re.compile(r"\b((?:shadow|strangler)_[a-z_]+)\b")


def exposed_names() -> dict[str, set[str]]:
    """Return each exposed series name of the proxy's and shadow's metrics, with its labels."""
    names: dict[str, set[str]] = {}
    for module in (proxy_metrics, shadow_metrics):
        for value in vars(module).values():
            if isinstance(value, prometheus_client.metrics.MetricWrapperBase):
                family = value.describe()[0]
                labels = set(value._labelnames) | ({"le"} if family.type == "histogram" else set())
                for suffix in SUFFIXES[family.type]:
                    names[family.name + suffix] = labels
    return names


def expressions(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["expr"]] if isinstance(node.get("expr"), str) else []
        return found + [e for value in node.values() for e in expressions(value)]
    if isinstance(node, list):
        return [e for value in node for e in expressions(value)]
    return []


def test_every_grafana_query_uses_an_exposed_metric_and_its_labels():
    dashboard = json.loads((DEPLOY / "grafana" / "strangler-parity.json").read_text())
    exprs = expressions(dashboard["panels"])
    exposed = exposed_names()
    used = {name for expr in exprs for name in NAME.findall(expr)}
    assert used <= set(exposed), used - set(exposed)
    assert {"shadow_comparisons_total", "shadow_candidate_seconds_bucket",
            "strangler_proxy_upstream_duration_seconds_bucket",
            "strangler_proxy_route_reload_failures_total"} <= used
    for expr in exprs:
        for names in re.findall(r"by \(([^)]*)\)", expr):
            metric = NAME.search(expr).group(1)
            assert {n.strip() for n in names.split(",")} <= exposed[metric], expr


def test_the_route_variable_and_datasource_input_are_declared():
    dashboard = json.loads((DEPLOY / "grafana" / "strangler-parity.json").read_text())
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
