"""Run wrk and read its numbers: requests per second, p50 and p99 latency, errors."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_LATENCY = re.compile(r"^\s+(50|99)\.000%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_LATENCY_SHORT = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass(frozen=True)
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def parse(output: str) -> WrkResult:
    """Read wrk's --latency report."""
    latencies = {int(p): float(v) * _UNITS[u] for p, v, u in _LATENCY_SHORT.findall(output)}
    latencies |= {int(p): float(v) * _UNITS[u] for p, v, u in _LATENCY.findall(output)}
    rps = _RPS.search(output)
    if rps is None or 50 not in latencies or 99 not in latencies:
        raise RuntimeError(f"unreadable wrk output:\n{output}")
    errors = sum(int(n) for n in _NON_2XX.findall(output))
    socket = _SOCKET.search(output)
    if socket:
        errors += sum(int(n) for n in socket.groups())
    return WrkResult(float(rps.group(1)), latencies[50], latencies[99], errors)


def run(wrk: str, url: str, *, connections: int, threads: int, seconds: int) -> WrkResult:
    """Warm up briefly, then measure ``url`` for ``seconds``."""
    base = [wrk, f"-t{threads}", f"-c{connections}", "--latency", "--timeout", "5s"]
    subprocess.run([*base, "-d1s", url], capture_output=True, check=True)
    done = subprocess.run([*base, f"-d{seconds}s", url], capture_output=True, text=True,
                          check=True)
    return parse(done.stdout)
