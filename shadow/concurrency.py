"""The write registry: which writes were running when, so a comparison can tell it raced one.

Two answers to the same request differ without any bug when another write to the same
resource lands between the control's call and the candidate's (a favourite counted by one
side and not the other). Each write that passes through the proxy is registered with the
resources it touches and its start and end times; a comparison whose window (from the first
side's start to the candidate's end) overlapped another write to one of its resources is
recorded as ``concurrent_write``, neither a match nor a mismatch.

Resources are plain strings chosen by the caller (the proxy uses canonical path prefixes,
``proxy.concurrency``). The registry is per process (one per proxy worker): in memory, on the
request path without a network round trip or a new failure mode. Writes served by other
workers are not seen here; for reads the recheck (ask the control again) still rescues
those. Entries are kept for ``horizon`` seconds after they end, at most ``limit`` of them.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(slots=True)
class _Write:
    resources: frozenset[str]
    start: float
    end: float | None = None


class Writes:
    """One worker's registry of writes in progress or recently finished."""

    def __init__(self, horizon: float = 120.0, limit: int = 10_000) -> None:
        self.horizon = horizon
        self.limit = limit
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._writes: dict[int, _Write] = {}
        self._pruned = 0.0  # when stale writes were last dropped (once a second when many)

    def __len__(self) -> int:
        return len(self._writes)

    def begin(self, resources: Iterable[str], start: float | None = None) -> int:
        """Register a write to ``resources`` starting now (wall clock); return its token."""
        now = time.time()
        write = _Write(frozenset(resources), now if start is None else start)
        with self._lock:
            self._prune(now)
            token = next(self._ids)
            self._writes[token] = write
        return token

    def end(self, token: int | None, end: float | None = None) -> None:
        """Record that the write ``token`` has answered (its effect is visible from now on)."""
        with self._lock:
            write = self._writes.get(token) if token is not None else None
            if write is not None and write.end is None:
                write.end = time.time() if end is None else end

    def overlapping(self, resources: Iterable[str], start: float, end: float,
                    own: int | None = None) -> list[str]:
        """Return the resources of ``resources`` that another write touched during
        [``start``, ``end``] (a write still running counts as running until ``end``); the
        write ``own`` (the compared request itself) does not count."""
        wanted = frozenset(resources)
        if not wanted:
            return []
        found: set[str] = set()
        with self._lock:
            for token, write in self._writes.items():
                if token == own or write.start > end:
                    continue
                if write.end is not None and write.end < start:
                    continue
                found.update(wanted & write.resources)
        return sorted(found)

    def _prune(self, now: float) -> None:
        """Drop writes ended (or started, if they never ended) over ``horizon`` ago."""
        if len(self._writes) < 1000 or now - self._pruned >= 1.0:
            self._pruned = now
            self._drop_stale(now - self.horizon)
        while len(self._writes) >= self.limit:
            del self._writes[next(iter(self._writes))]  # the oldest registered

    def _drop_stale(self, old: float) -> None:
        stale = [token for token, write in self._writes.items()
                 if (write.end if write.end is not None else write.start) < old]
        for token in stale:
            del self._writes[token]
