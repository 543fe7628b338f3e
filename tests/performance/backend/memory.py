"""Resident memory of a server's processes (the master and its workers), from /proc."""

from __future__ import annotations

from pathlib import Path


def children(pid: int) -> list[int]:
    """Return the ids of the direct children of process ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def rss_mib(pid: int) -> float:
    """Return the resident set size of ``pid`` in MiB (0 if it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_rss(master: int) -> list[float]:
    """Return the RSS (MiB) of each worker process of ``master``."""
    return [rss_mib(pid) for pid in children(master)]
