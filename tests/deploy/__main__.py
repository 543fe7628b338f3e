"""``make deploy-test``: build the images, run the compose stack under Podman, check it, tear down.

Steps: install podman/runc if missing; build the base-image stand-ins if missing; build the
Strangler and legacy images with deploy/compose.yaml; start the stack on free ports of
127.0.0.1; run the Postman suite through the edge; check /health, /metrics, a route flip with
the CLI inside a proxy container, Prometheus, and a blue-green release and rollback under a
bounded load loop (and, as a control, that stopping the live colour under that loop does fail
requests); take the stack down (also after a failure). Exit 0 when every check held.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

from tests.deploy import checks, standins
from tests.deploy.podman import Podman
from tests.deploy.stack import Stack, ensure_podman, remove_abandoned_projects
from tests.support.processes import REPO_ROOT

WORK_DIR = REPO_ROOT / "tests" / "artifacts" / "deploy"


class Steps:
    """Run named steps, time them, and print one line per step and a closing table."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, str]] = []

    def __call__(self, name: str, step: Callable[[], str | None]) -> None:
        print(f"\n=== {name}", flush=True)
        started = time.monotonic()
        detail = step() or ""
        seconds = time.monotonic() - started
        self.rows.append((name, seconds, detail))
        print(f"--- {name}: ok in {seconds:.1f}s{': ' + detail if detail else ''}", flush=True)

    def table(self) -> str:
        lines = ["| step | seconds | result |", "|---|---:|---|"]
        lines += [f"| {name} | {seconds:.0f} | {detail} |" for name, seconds, detail in self.rows]
        lines.append(f"| total | {sum(row[1] for row in self.rows):.0f} | |")
        return "\n".join(lines)


def main() -> int:
    steps = Steps()
    steps("podman", lambda: ensure_podman() or subprocess.run(
        ["podman", "--version"], capture_output=True, text=True).stdout.strip())
    steps("base image stand-ins", lambda: "; ".join(standins.ensure(Podman())))
    abandoned = remove_abandoned_projects()
    if abandoned:
        print(f"removed the stacks of earlier, killed runs: {', '.join(abandoned)}")
    stack = Stack(WORK_DIR)
    print(f"project {stack.project}, edge {stack.edge}, env file {stack.env_file}")
    try:
        steps("images built", lambda: stack.build() or image_sizes(stack))
        steps("stack up", lambda: stack.up() or services(stack))
        steps("Postman suite through the edge", lambda: conformance(stack))
        steps("health and metrics through the edge", lambda: checks.health_and_metrics(stack))
        steps("route flip with the CLI", lambda: checks.route_flip(stack))
        steps("Prometheus", lambda: checks.prometheus(stack))
        steps("blue-green under load", lambda: blue_green(stack))
        steps("control: the live proxy stopped under load", lambda: checks.drops_are_seen(stack))
    finally:
        steps("teardown", lambda: stack.down() or "containers, pod and volumes removed")
    print("\nGrafana: not run here (no image or package of it can be had on this machine);"
          " its provisioning is checked by tests/unit/deploy.")
    print("\n" + steps.table())
    print("\ndeploy-test: all checks passed")
    return 0


def image_sizes(stack: Stack) -> str:
    listed = Podman().run("images", "--format", "{{.Repository}}:{{.Tag}} {{.Size}}",
                          "--filter", f"reference={stack.settings['STRANGLER_IMAGE_REPOSITORY']}*",
                          capture=True, quiet=True).stdout.split("\n")
    return "; ".join(line for line in listed if line)


def services(stack: Stack) -> str:
    listed = Podman().run("ps", "--filter", f"label=com.docker.compose.project={stack.project}",
                          "--format", "{{.Names}} {{.Status}}", capture=True, quiet=True)
    names = [line.removeprefix(stack.project + "_") for line in listed.stdout.splitlines()]
    return "; ".join(names)


def conformance(stack: Stack) -> str:
    result = subprocess.run([str(REPO_ROOT / "tools" / "conformance"), f"{stack.edge}/api"],
                            capture_output=True, text=True)
    summary = [line for line in result.stdout.splitlines() if line.startswith("conformance:")]
    print("\n".join(result.stdout.splitlines()[-40:]))
    if result.returncode != 0:
        raise checks.CheckFailed(f"Postman suite through the edge failed:\n{result.stdout}")
    return summary[-1].removeprefix("conformance: ")


def blue_green(stack: Stack) -> str:
    detail, load = checks.blue_green(stack)
    return f"{detail}; load: {load.summary()}"


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (checks.CheckFailed, RuntimeError, subprocess.CalledProcessError) as error:
        print(f"\ndeploy-test FAILED: {error}", file=sys.stderr)
        sys.exit(1)
