"""Which resources a request touches, for the worker's write registry (shadow.concurrency).

Resources are canonical path prefixes. A route parameter names a member: for
``/api/articles/:slug/comments/:id`` the members are ``/api/articles/how-to`` and
``/api/articles/how-to/comments/3`` (a comment write touches its article too). The literal
prefix before the first parameter is the collection (``/api/articles``); a route without
parameters is a collection of its own (``/api/user``).

- A write marks its members and its collection: a favourite changes the article and the
  article lists.
- A comparison depends on its members when it has any (a read of one article races writes to
  that article only), else on its path and the literal prefixes above it (the feed
  ``/api/articles/feed`` races writes to any article through ``/api/articles``).

Effects beyond the path are not seen here (following a profile changes ``author.following``
in every article of that author); for those the recheck of reads still applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from proxy.table import RouteDecision
from shadow import Exchange
from shadow.concurrency import Writes
from shadow.eligibility import SAFE_METHODS


def _prefix(parts: Sequence[str]) -> str:
    return "/" + "/".join(parts)


def resources(pattern: Sequence[str | None] | None, segments: Sequence[str]
              ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (what a comparison depends on, what a write marks) for a request whose route
    has ``pattern`` (literal segments, None for a parameter; None if unmatched) and whose
    canonical path is ``segments``."""
    if pattern is None or len(pattern) != len(segments):
        pattern = tuple(segments)  # unmatched: the path as one collection
    parts = [literal if literal is not None else value
             for literal, value in zip(pattern, segments, strict=True)]
    members = [_prefix(parts[: i + 1]) for i, literal in enumerate(pattern) if literal is None]
    first = next((i for i, literal in enumerate(pattern) if literal is None), len(parts))
    collection = _prefix(parts[:first])
    if members:
        reads = tuple(members)
    else:
        reads = tuple(_prefix(parts[:n]) for n in range(len(parts), 0, -1)) or ("/",)
    return reads, tuple(dict.fromkeys([*members, collection]))


def track(writes: Writes, exchange: Exchange, decision: RouteDecision,
          segments: Sequence[str]) -> Exchange:
    """Return the exchange with its resources; a write is registered now (``write`` is its
    token: end it with ``writes.end`` once it has answered)."""
    pattern = decision.route.pattern.segments if decision.route is not None else None
    reads, marks = resources(pattern, segments)
    token = None
    if exchange.method.upper() not in SAFE_METHODS:
        token = writes.begin(marks, exchange.started)
    return replace(exchange, resources=reads, write=token)
