"""deploy/prometheus/alerts.yml: valid, unit-tested with promtool, reading real metrics."""

from __future__ import annotations

import re

from ruamel.yaml import YAML

from tests.support.monitoring import ALERTS, DEPLOY, NAME, alert_rules, exposed_names, promtool

TESTS = DEPLOY / "prometheus" / "alerts.test.yml"
TARGET = {"job", "instance"}  # added by Prometheus to every scraped series


def test_the_scrape_config_and_its_rule_files_are_valid():
    checked = promtool("check", "config", DEPLOY / "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "7 rules found" in checked.stdout


def test_the_rules_are_valid():
    checked = promtool("check", "rules", ALERTS)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_rules_unit_tests_pass():
    tested = promtool("test", "rules", TESTS)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_every_alert_has_a_promtool_test_where_it_fires():
    tests = YAML(typ="safe").load(TESTS.read_text())["tests"]
    firing = {check["alertname"] for test in tests for check in test.get("alert_rule_test", [])
              if check.get("exp_alerts")}
    assert {rule["alert"] for rule in alert_rules()} == firing


def test_every_rule_reads_exposed_metrics_and_labels():
    exposed = exposed_names()
    for rule in alert_rules():
        names = set(NAME.findall(rule["expr"]))
        assert names <= set(exposed), (rule["alert"], names - set(exposed))
        for metric, matchers in re.findall(r"\b([a-z_]+)\{([^}]*)\}", rule["expr"]):
            used = set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers))
            assert used <= exposed.get(metric, set()) | TARGET, (rule["alert"], metric, used)
        grouped = {label.strip() for labels in re.findall(r"by \(([^)]*)\)", rule["expr"])
                   for label in labels.split(",")}
        assert grouped <= {"route", "state"} | TARGET, rule["alert"]


def test_every_rule_says_how_bad_and_what_it_means():
    for rule in alert_rules():
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
