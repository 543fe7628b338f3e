"""What the proxy exposes to Prometheus and what deploy/ asks of it: names, labels, promtool."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import prometheus_client
from ruamel.yaml import YAML

from proxy import metrics as proxy_metrics
from rollout import metrics as rollout_metrics
from shadow import metrics as shadow_metrics
from tests.support.processes import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana" / "strangler-parity.json"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}
NAME = re.compile(r"\b((?:shadow|strangler)_[a-z_]+)\b")


def exposed_names() -> dict[str, set[str]]:
    """Return each exposed series name of the proxy's, shadow's and the rollout controller's
    metrics, with its labels."""
    names: dict[str, set[str]] = {}
    for module in (proxy_metrics, shadow_metrics, rollout_metrics):
        for value in vars(module).values():
            if isinstance(value, prometheus_client.metrics.MetricWrapperBase):
                family = value.describe()[0]
                labels = set(value._labelnames) | ({"le"} if family.type == "histogram" else set())
                for suffix in SUFFIXES[family.type]:
                    names[family.name + suffix] = labels
    return names


def panel_targets() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Return every (panel, target) of the Grafana dashboard that has a PromQL expression."""
    dashboard = json.loads(DASHBOARD.read_text())
    return [(panel, target) for panel in dashboard["panels"]
            for target in panel.get("targets", []) if target.get("expr")]


def alert_rules() -> list[dict[str, Any]]:
    """Return every alerting rule of deploy/prometheus/alerts.yml."""
    groups = YAML(typ="safe").load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run Debian's promtool (package prometheus; .ci/run and make setup install it)."""
    binary = shutil.which("promtool")
    if binary is None:
        raise AssertionError("promtool is missing: apt-get install -y prometheus")
    return subprocess.run([binary, *map(str, args)], capture_output=True, text=True,
                          cwd=DEPLOY, timeout=60, check=False)
