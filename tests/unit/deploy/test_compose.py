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


def mounts(service: str) -> dict[str, str]:
    """Return ``service``'s volume mounts: container path -> volume (or host path)."""
    return {m.split(":")[1]: m.split(":")[0] for m in SERVICES[service]["volumes"]}


def test_the_edge_runs_what_edge_render_renders_from_the_proxies_routes_yaml():
    render = SERVICES["edge-render"]
    command = render["command"]
    assert command[:4] == ["strangler", "edge", "watch", "--render-only"]
    option = {name: command[command.index(name) + 1] for name in
              ("-o", "--proxy-upstream-file", "--access-log", "--listen")}
    # The routes.yaml the proxies hot-reload (ROUTES_FILE on the shared routes volume).
    routes_file = render["environment"]["ROUTES_FILE"]
    assert routes_file == SERVICES["proxy-blue"]["environment"]["ROUTES_FILE"]
    routes_dir = routes_file.rsplit("/", 1)[0]
    assert mounts("edge-render")[routes_dir] == mounts("proxy-blue")[routes_dir] == "routes"
    # The render lands on a volume the edge reads at the path edge-start follows; the image
    # creates that directory for the strangler user (a fresh named volume copies its owner).
    rendered_dir = option["-o"].rsplit("/", 1)[0]
    volume = mounts("edge-render")[rendered_dir]
    assert mounts("edge")[rendered_dir] == volume and volume in COMPOSE["volumes"]
    start = (DEPLOY / "compose" / "edge-start").read_text()
    assert f"rendered={option['-o']}\n" in start
    assert rendered_dir in final_stage(DOCKERFILES["deploy/Dockerfile"])
    # Blue-green: the render includes the upstream file edge-switch writes.
    switch = (DEPLOY / "compose" / "edge-switch").read_text()
    assert f"upstream={option['--proxy-upstream-file']}\n" in switch
    # The access log is on a volume edge-metrics follows.
    log_dir = option["--access-log"].rsplit("/", 1)[0]
    metrics = SERVICES["edge-metrics"]["command"]
    assert metrics[metrics.index("--log") + 1] == option["--access-log"]
    assert mounts("edge")[log_dir] == mounts("edge-metrics")[log_dir] == "edge-log"
    assert option["--listen"] == "${EDGE_ADDRESS:-127.0.0.1}:${EDGE_PORT:-8080}"
    assert not (DEPLOY / "compose" / "edge.conf.template").exists()


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
