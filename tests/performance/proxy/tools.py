"""Find (or install from Debian) the wrk and nginx binaries the benchmark drives."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PACKAGES = {"wrk": "wrk", "nginx": "nginx-light"}


def find(name: str) -> str | None:
    """Return the path of ``name`` on PATH or in /usr/sbin."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")


def require(*names: str) -> dict[str, str]:
    """Return the paths of ``names``; install the missing ones with apt-get, or exit clearly."""
    missing = [name for name in names if find(name) is None]
    if missing and shutil.which("apt-get") and os.geteuid() == 0:
        packages = [PACKAGES[name] for name in missing]
        print(f"bench: installing {' '.join(packages)} (Debian packages)", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *packages], check=False, env=env)
    paths = {name: find(name) for name in names}
    still = [name for name, path in paths.items() if path is None]
    if still:
        sys.exit(
            f"bench: {', '.join(still)} not found. Install the Debian packages"
            f" ({' '.join(PACKAGES[n] for n in still)}) with apt-get, as root, and run again."
        )
    return {name: path for name, path in paths.items() if path is not None}
