"""Run wrk against one endpoint and read requests per second, p50 and p99 latency, errors."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
POST_SCRIPT = Path(__file__).with_name("post.lua")


@dataclass(frozen=True)
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def find_wrk() -> str:
    """Return the wrk binary, installing the Debian package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: apt-get update && apt-get install -y wrk", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=False)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk is not installed and could not be installed: "
                         "run 'apt-get update && apt-get install -y wrk' as root")
    return found


def parse(output: str) -> Load:
    """Read wrk's ``--latency`` report."""
    latencies = {int(p): float(v) * _UNITS[u] for p, v, u in _LATENCY.findall(output)}
    rps = _RPS.search(output)
    if rps is None or 50 not in latencies or 99 not in latencies:
        raise RuntimeError(f"unreadable wrk output:\n{output}")
    errors = sum(int(n) for n in _NON_2XX.findall(output))
    socket = _SOCKET.search(output)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return Load(float(rps.group(1)), latencies[50], latencies[99], errors)


def run(wrk: str, url: str, *, connections: int, seconds: int, headers: dict[str, str],
        body: str | None = None, warmup: int = 2) -> Load:
    """Warm up for ``warmup`` seconds, then measure ``url`` for ``seconds`` (a bounded run)."""
    argv = [wrk, f"-t{min(2, connections)}", f"-c{connections}", "--latency", "--timeout", "10s"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    env = None
    if body is not None:
        argv += ["-s", str(POST_SCRIPT)]
        env = {"WRK_BODY": body, "PATH": "/usr/bin:/bin"}
    subprocess.run([*argv, f"-d{warmup}s", url], capture_output=True, check=True, env=env,
                   timeout=warmup + 30)
    done = subprocess.run([*argv, f"-d{seconds}s", url], capture_output=True, text=True,
                          check=True, env=env, timeout=seconds + 30)
    return parse(done.stdout)
