"""The compose stack of deploy/compose.yaml, started here on free ports as one project."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.deploy.podman import CommandFailed, Compose, Podman
from tests.support.processes import REPO_ROOT, free_port

COMPOSE_FILE = REPO_ROOT / "deploy" / "compose.yaml"
PROJECT_PREFIX = "strangler-deploytest-"
# The order compose's depends_on declares. Podman 4.3 cannot wait for health conditions
# (podman-compose skips them below podman 4.6) and runs no health check by itself without
# systemd, so the stack is started stage by stage and each stage's health checks are run here.
STAGES = (("postgres", "redis"), ("legacy",), ("proxy-blue", "proxy-green", "edge-render"),
          ("edge",), ("edge-metrics", "prometheus"))
PORTS = ("EDGE_PORT", "PROXY_BLUE_PORT", "PROXY_GREEN_PORT", "LEGACY_PORT", "POSTGRES_PORT",
         "REDIS_PORT", "PROMETHEUS_PORT", "GRAFANA_PORT", "EDGE_METRICS_PORT")


def image_repository() -> str:
    """Return this worktree's image repository: two worktrees never share tags."""
    return "localhost/strangler-test-" + hashlib.sha256(str(REPO_ROOT).encode()).hexdigest()[:8]


@dataclass
class Stack:
    """One compose project: its env file (free ports, fresh secrets) and its lifecycle."""

    work_dir: Path
    project: str = field(default_factory=lambda: f"{PROJECT_PREFIX}{os.getpid()}")
    settings: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.settings = {
            **{name: str(free_port()) for name in PORTS},
            "JWT_SECRET": secrets.token_urlsafe(32),
            "STRANGLER_SECRET_KEY": secrets.token_urlsafe(32),
            "POSTGRES_PASSWORD": secrets.token_urlsafe(24),
            "GRAFANA_ADMIN_PASSWORD": secrets.token_urlsafe(16),
            "STRANGLER_IMAGE_REPOSITORY": image_repository(),
            "EDGE_REQUESTS_PER_SECOND": "2000",  # every test client is 127.0.0.1
            "PROXY_WORKERS": "2",
        }
        self.env_file = self.work_dir / "deploy.env"
        self.env_file.write_text("".join(f"{k}={v}\n" for k, v in self.settings.items()))
        self.env_file.chmod(0o600)
        self.compose = Compose(COMPOSE_FILE, self.project, self.env_file)

    def url(self, port_name: str) -> str:
        return f"http://127.0.0.1:{self.settings[port_name]}"

    @property
    def edge(self) -> str:
        return self.url("EDGE_PORT")

    def container(self, service: str) -> str:
        return f"{self.project}_{service}_1"

    @property
    def compose_command(self) -> str:
        """Return the compose command line deploy/blue-green is given as COMPOSE."""
        return " ".join(self.compose.prefix)

    def build(self) -> None:
        """Build the Strangler and legacy images."""
        self.compose("build")

    def up(self) -> None:
        """Start every service stage by stage, migrating before legacy; wait for health."""
        for number, services in enumerate(STAGES):
            if number == 1:
                self.migrate()
            self.compose("up", "-d", "--no-deps", *services)
            for service in services:
                self.wait_healthy(service)

    def migrate(self) -> None:
        self.compose("run", "--rm", "--no-deps", "-T", "migrate")

    def wait_healthy(self, service: str, timeout: float = 120.0) -> float:
        """Run ``service``'s own health check until it passes; return the seconds it took."""
        started = time.monotonic()
        podman = Podman()
        while True:
            result = podman.run("healthcheck", "run", self.container(service), capture=True,
                                check=False, quiet=True)
            if result.returncode == 0:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                logs = podman.run("logs", "--tail", "40", self.container(service),
                                  capture=True, check=False, quiet=True)
                raise CommandFailed(f"{service} not healthy after {timeout:.0f}s "
                                    f"({result.stdout.strip()}):\n{logs.stdout}{logs.stderr}")
            time.sleep(1)

    def down(self) -> None:
        """Remove the project's containers, pod and volumes (its images stay, as build cache)."""
        self.compose("down", "-v", "-t", "15", check=False)


def remove_abandoned_projects() -> list[str]:
    """Take down the stacks of earlier runs whose process is gone (killed mid-run)."""
    listed = Podman().run("ps", "-a", "--format", '{{index .Labels "com.docker.compose.project"}}',
                          capture=True, check=False, quiet=True).stdout.split()
    removed = []
    for project in sorted(set(listed)):
        if not project.startswith(PROJECT_PREFIX):
            continue
        pid = project.removeprefix(PROJECT_PREFIX)
        if pid.isdigit() and Path(f"/proc/{pid}").exists():
            continue  # another run, still going
        Podman().run("pod", "rm", "-f", f"pod_{project}", check=False, capture=True)
        Podman().run("rm", "-f", "--filter", f"label=com.docker.compose.project={project}",
                     check=False, capture=True)
        volumes = Podman().run("volume", "ls", "-q", "--filter",
                               f"label=com.docker.compose.project={project}",
                               capture=True, check=False, quiet=True).stdout.split()
        if volumes:
            Podman().run("volume", "rm", "-f", *volumes, check=False, capture=True)
        removed.append(project)
    return removed


def ensure_podman() -> None:
    """Install podman and runc from Debian when missing (root, as on these machines)."""
    if subprocess.run(["sh", "-c", "command -v podman && command -v runc"],
                      capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "install", "-y", "podman", "runc"], check=True)
