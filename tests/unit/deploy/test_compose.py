"""deploy/compose.yaml and the Dockerfiles: secrets, health, networks, and the stand-ins agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.deploy.standins import STANDINS

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
SECRETS = ("JWT_SECRET", "STRANGLER_SECRET_KEY", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD")
TEXT = (DEPLOY / "compose.yaml").read_text()
COMPOSE = YAML(typ="safe").load(TEXT)
SERVICES = COMPOSE["services"]
DOCKERFILES = {"deploy/Dockerfile": DEPLOY / "Dockerfile",
               "deploy/legacy.Dockerfile": DEPLOY / "legacy.Dockerfile"}


def final_stage(dockerfile: Path) -> str:
    return dockerfile.read_text().rsplit("\nFROM ", 1)[1]


@pytest.mark.parametrize("secret", SECRETS)
def test_every_secret_is_required_with_no_default(secret):
    uses = re.findall(r"\$\{" + secret + r"(:[-?]|\})", TEXT)
    assert uses and set(uses) == {":?"}, uses
    for dockerfile in DOCKERFILES.values():
        instructions = [line for line in dockerfile.read_text().splitlines()
                        if not line.lstrip().startswith("#")]
        assert not [line for line in instructions if secret in line]


def test_every_service_listens_on_the_host_network():
    assert {name: s.get("network_mode") for name, s in SERVICES.items()} == \
        dict.fromkeys(SERVICES, "host")


@pytest.mark.parametrize("name", sorted(set(SERVICES) - {"migrate"}))
def test_every_long_running_service_has_a_health_check(name):
    service = SERVICES[name]
    build = service.get("build")
    dockerfile = DEPLOY.parent / build["dockerfile"] if build else None
    assert "healthcheck" in service or "HEALTHCHECK" in final_stage(dockerfile)


def test_the_database_users_wait_for_the_migration():
    for name in ("legacy", "proxy-blue", "proxy-green"):
        assert SERVICES[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"}
    assert SERVICES["migrate"]["command"] == ["strangler", "db", "upgrade"]
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_the_edge_outlives_proxy_releases():
    # podman-compose recreates a service's dependents with it: a depends_on here would restart
    # the edge, and drop requests, on every release.
    assert "depends_on" not in SERVICES["edge"]


def test_the_proxy_image_runs_as_a_non_root_user_under_gunicorn():
    stage = final_stage(DOCKERFILES["deploy/Dockerfile"])
    assert "USER strangler" in stage
    assert 'CMD ["gunicorn", "-c", "/app/deploy/gunicorn.conf.py", "rollout.wsgi:app"]' in stage
    assert "USER node" in final_stage(DOCKERFILES["deploy/legacy.Dockerfile"])
    assert "g++" not in final_stage(DOCKERFILES["deploy/legacy.Dockerfile"])


def test_every_base_image_has_a_stand_in_for_the_deploy_test():
    bases = {m for f in DOCKERFILES.values()
             for m in re.findall(r"^ARG \w+_IMAGE=(\S+)$", f.read_text(), re.M)}
    pulled = {s["image"] for s in SERVICES.values()
              if "build" not in s and "grafana" not in s.get("profiles", [])}
    assert bases and pulled
    assert bases | pulled <= set(STANDINS)


def test_the_edge_template_uses_only_what_edge_start_substitutes_and_compose_sets():
    template = (DEPLOY / "compose" / "edge.conf.template").read_text()
    used = set(re.findall(r"\$\{(\w+)\}", template))
    start = (DEPLOY / "compose" / "edge-start").read_text()
    substituted = set(re.findall(r"\$\{(\w+)\}", start.split("envsubst", 1)[1].split("<")[0]))
    assert used == substituted
    assert used <= set(SERVICES["edge"]["environment"])


def test_grafana_is_provisioned_with_the_dashboard_and_the_prometheus_data_source():
    provisioning = DEPLOY / "grafana" / "provisioning"
    (provider,) = YAML(typ="safe").load(
        (provisioning / "dashboards" / "strangler.yaml").read_text())["providers"]
    (source,) = YAML(typ="safe").load(
        (provisioning / "datasources" / "strangler.yaml").read_text())["datasources"]
    mounts = dict(m.rsplit(":", 2)[:2] for m in SERVICES["grafana"]["volumes"]
                  if m.startswith("./"))
    assert mounts["./grafana/strangler-parity.json"].startswith(provider["options"]["path"])
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    assert source["type"] == "prometheus" and source["url"] == "${PROMETHEUS_URL}"
    assert "PROMETHEUS_URL" in SERVICES["grafana"]["environment"]
