"""Describe the machine a benchmark ran on."""

from __future__ import annotations

import os
import platform
import subprocess
from pathlib import Path


def _version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
    except OSError:
        return "?"
    return (done.stdout or done.stderr).strip().splitlines()[0]


def describe(nginx: str, wrk: str) -> str:
    """Return one line: CPU, cores, memory, kernel, and the versions that matter."""
    cpu = next((line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    memory_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                      .splitlines() if line.startswith("MemTotal"))
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory_kib // 1024 // 1024} GiB RAM,"
        f" Linux {platform.release()}; Python {platform.python_version()},"
        f" Node {_version(['node', '--version'])}, {_version([nginx, '-v'])},"
        f" {_version([wrk, '--version']).split(' Copyright')[0]}"
    )
