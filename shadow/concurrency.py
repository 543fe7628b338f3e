"""The write registry: which writes were running when, so a comparison can tell it raced one.

Two answers to the same request differ without any bug when another write to the same
resource lands between the control's call and the candidate's (a favourite counted by one
side and not the other). Each write that passes through the proxy is registered with the
resources it touches and its start and end times; a comparison whose window (from the first
side's start to the candidate's end) overlapped another write to one of its resources is
recorded as ``concurrent_write``, neither a match nor a mismatch.

Resources are plain strings chosen by the caller (the proxy uses canonical path prefixes,
``proxy.concurrency``). ``Writes`` is per process: in memory, on the request path without a
network round trip or a new failure mode. Entries are kept for ``horizon`` seconds after they
end, at most ``limit`` of them.

``SharedWrites`` is the same registry shared by the workers of one server (gunicorn's
``post_worker_init`` switches each worker to it): a ring of fixed-size slots in a
memory-mapped file (``/dev/shm`` when there is one), each slot a write's token, start, end and
up to eight 64-bit hashes of its resources, written under a file lock. Registering a write is a
few hundred nanoseconds of local memory, never a round trip; a comparison scans the ring only
when it found a difference. Without it a dry-run whose rows changed because another worker's
write committed during its window would be a mismatch: the registry of one worker cannot see
the others', and dry-runs have no recheck.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import itertools
import math
import mmap
import os
import struct
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


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


_HEADER = struct.Struct("<Q")  # the last token handed out
_SLOT = struct.Struct("<QddB7x8Q")  # token, start, end (NaN: running), hashes used, hashes
HASHES = 8


def _hash(resource: str) -> int:
    return int.from_bytes(hashlib.blake2b(resource.encode(), digest_size=8).digest(), "little")


class SharedWrites(Writes):
    """The write registry of all the workers of one server: a ring in a shared file."""

    def __init__(self, path: Path, slots: int = 4096, horizon: float = 120.0) -> None:
        super().__init__(horizon=horizon, limit=slots)
        self.path = path
        self.slots = slots
        size = _HEADER.size + slots * _SLOT.size
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            with _locked(fd):
                if os.fstat(fd).st_size < size:
                    os.ftruncate(fd, size)
            self._map = mmap.mmap(fd, size)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    @classmethod
    def for_server(cls, server: str) -> SharedWrites:
        """Return the registry of the server ``server`` (e.g. the gunicorn master's pid)."""
        directory = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else Path(
            tempfile.gettempdir())
        for old in directory.glob("strangler-writes-*"):  # servers gone: their files too
            pid = old.name.rsplit("-", 1)[-1]
            if pid.isdigit() and pid != server and not _alive(int(pid)):
                with contextlib.suppress(OSError):
                    old.unlink()
        return cls(directory / f"strangler-writes-{server}")

    def __len__(self) -> int:
        return sum(1 for token, *_ in self._entries() if token)

    def begin(self, resources: Iterable[str], start: float | None = None) -> int:
        hashes = sorted({_hash(resource) for resource in resources})[:HASHES]
        begun = time.time() if start is None else start
        with self._lock, _locked(self._fd):
            (last,) = _HEADER.unpack_from(self._map, 0)
            token = last + 1
            _HEADER.pack_into(self._map, 0, token)
            _SLOT.pack_into(self._map, self._offset(token), token, begun, math.nan, len(hashes),
                            *hashes, *([0] * (HASHES - len(hashes))))
        return int(token)

    def end(self, token: int | None, end: float | None = None) -> None:
        if token is None:
            return
        with self._lock, _locked(self._fd):
            offset = self._offset(token)
            stored, begun, ended, used, *hashes = _SLOT.unpack_from(self._map, offset)
            if stored == token and math.isnan(ended):
                _SLOT.pack_into(self._map, offset, token, begun,
                                time.time() if end is None else end, used, *hashes)

    def overlapping(self, resources: Iterable[str], start: float, end: float,
                    own: int | None = None) -> list[str]:
        wanted = {_hash(resource): resource for resource in resources}
        if not wanted:
            return []
        stale = time.time() - self.horizon  # a write that never ended (its worker died)
        found: set[str] = set()
        for token, begun, ended, used, *hashes in self._entries():
            if not token or token == own or begun > end:
                continue
            running = math.isnan(ended)
            if (running and begun < stale) or (not running and ended < start):
                continue
            found.update(wanted[h] for h in hashes[:used] if h in wanted)
        return sorted(found)

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)

    def _offset(self, token: int) -> int:
        return _HEADER.size + (token % self.slots) * _SLOT.size

    def _entries(self) -> Iterator[tuple[Any, ...]]:
        with self._lock, _locked(self._fd):
            data = bytes(self._map[_HEADER.size:])
        return _SLOT.iter_unpack(data)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _locked(fd: int) -> Iterator[None]:
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
