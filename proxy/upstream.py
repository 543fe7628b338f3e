"""What every legacy client returns or raises, whichever HTTP library is underneath."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from proxy.schema import Timeouts

CHUNK = 64 * 1024


class UpstreamError(Exception):
    """Legacy could not answer: ``kind`` is connect, timeout, pool or protocol."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind

    @property
    def status(self) -> int:
        """Return 504 for timeouts (the upstream is there but slow), 502 otherwise."""
        return 504 if self.kind in ("timeout", "pool") else 502


@dataclass
class UpstreamResponse:
    """Status, headers and a body that is read chunk by chunk, never whole."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    chunks: Iterator[bytes]
    close: Callable[[], None]


class LegacyClient(Protocol):
    def send(
        self,
        base_url: str,
        method: str,
        target: str,
        headers: dict[str, str],
        body: Iterable[bytes] | None,
        timeouts: Timeouts,
    ) -> UpstreamResponse:
        """Send one request; raise UpstreamError if no response head arrives."""
        ...
