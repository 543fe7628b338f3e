"""Podman and podman-compose as this machine runs them: root, runc, cgroupfs, host network."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONTAINERS_CONF = HERE / "containers.conf"


# Podman asks systemd for a timer per health check; there is none here, so it says so on every
# container start. The checks are run by Stack.wait_healthy instead: the line is noise.
NO_SYSTEMD = "unable to get systemd connection"


def run_quietly(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ``argv`` with its output shown, less podman's no-systemd lines; return its code."""
    proc = subprocess.Popen(list(argv), env=dict(env), stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    for line in proc.stderr:
        if NO_SYSTEMD not in line:
            sys.stderr.write(line)
    return proc.wait()


class CommandFailed(RuntimeError):
    """A podman or podman-compose command exited non-zero."""


class Podman:
    """Run podman with this test's containers.conf, echoing each command."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        # Docker's image format keeps the Dockerfiles' HEALTHCHECK (OCI's has no field for it).
        self.env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF),
                    "BUILDAH_FORMAT": "docker", **(env or {})}

    def run(self, *args: str, capture: bool = False, check: bool = True,
            quiet: bool = False) -> subprocess.CompletedProcess[str]:
        """Run ``podman ARGS``; raise CommandFailed on a non-zero exit when ``check``."""
        return self._exec(["podman", *args], capture=capture, check=check, quiet=quiet)

    def image_label(self, image: str, label: str) -> str | None:
        """Return ``label`` of a local ``image``, "" when it has none, None when it is absent."""
        result = self.run("image", "inspect", "--format", f'{{{{index .Labels "{label}"}}}}',
                          image, capture=True, check=False, quiet=True)
        if result.returncode != 0:
            return None
        value = result.stdout.strip()
        return "" if value == "<no value>" else value

    def _exec(self, argv: Sequence[str], *, capture: bool, check: bool,
              quiet: bool) -> subprocess.CompletedProcess[str]:
        if not quiet:
            print("$", " ".join(argv), flush=True)
        if capture:
            result = subprocess.run(list(argv), env=self.env, capture_output=True, text=True)
        else:
            result = subprocess.CompletedProcess(list(argv), run_quietly(argv, self.env))
        if check and result.returncode != 0:
            detail = (result.stderr or "")[-3000:] if capture else ""
            raise CommandFailed(f"{' '.join(argv)} exited {result.returncode}\n{detail}")
        return result


class Compose(Podman):
    """podman-compose on deploy/compose.yaml as one project, with its own env file."""

    def __init__(self, compose_file: Path, project: str, env_file: Path,
                 env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        self.prefix = [sys.executable, "-m", "podman_compose", "--project-name", project,
                       "--env-file", str(env_file), "-f", str(compose_file)]

    def __call__(self, *args: str, capture: bool = False,
                 check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``podman-compose ... ARGS``."""
        return self._exec([*self.prefix, *args], capture=capture, check=check, quiet=False)
