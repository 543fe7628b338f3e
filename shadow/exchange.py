"""The Exchange: one mirrored request as plain, immutable data.

The proxy builds it once per request (``proxy.dispatch``) and passes it along: to the
candidate and control calls, to ``Mirror.submit`` and ``Mirror.skip``, into each Comparison.
It holds only strings, numbers and bytes, so it can be serialised as it is (the shape a
shadow worker would read off a queue).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

Scalar = str | bool | int | float


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request as the client sent it, ready to be sent again to either side.

    ``path`` is the canonical path the route table rebuilt, ``target`` that path plus the
    query string as sent. ``headers`` are those legacy receives (hop-by-hop and internal ones
    removed, X-Forwarded-* and the request id set by the proxy); ``environ`` keeps the
    request's other WSGI values (method, host, scheme, peer) that are plain scalars, to
    rebuild the environ the in-process backend gets. ``body`` is the copy of the request
    body, known once it has been read (``with_body``). ``started`` is the wall-clock time
    the proxy received it. ``resources`` are what the request reads or writes (path prefixes,
    ``proxy.concurrency``) and ``write`` its token in the worker's write registry when it is a
    write (``shadow.concurrency``), so a comparison can tell it raced another write.
    """

    route: str
    method: str
    request_id: str | None = None
    path: str = "/"
    target: str = "/"
    headers: tuple[tuple[str, str], ...] = ()
    environ: tuple[tuple[str, Scalar], ...] = ()
    control_side: str = "legacy"
    started: float = 0.0
    body: bytes | None = None
    resources: tuple[str, ...] = ()
    write: int | None = None

    @property
    def candidate_side(self) -> str:
        """Return the side compared with the control: the other one."""
        return "legacy" if self.control_side == "flask" else "flask"

    def with_body(self, body: bytes | None) -> Exchange:
        """Return this exchange carrying the request body read so far."""
        return replace(self, body=body)
