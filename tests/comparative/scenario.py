"""Scenarios: lists of steps run in lock-step against legacy and the backend.

A step is one request: method, path, body, and whose token to send. Each side keeps its own
captured values (tokens, slugs, comment ids), taken from its own replies, so ``{slug}`` in a
path means "the slug this side gave". Every reply pair is compared with ``parity.compare``;
all pairs are also written to ``tests/artifacts/comparative-<database>.jsonl``.

Extending the suite: write a test that takes the ``scenario`` fixture and calls
``scenario.run(step, step, ...)``; ``scenario.register("alice")`` creates a user on both sides.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.comparative.exchange import Reply, Request, send
from tests.comparative.parity import Mismatch, compare

DEFAULT_TTL = 2592000
_scenario_numbers = itertools.count(1)


@dataclass
class Step:
    """One request of a scenario.

    ``json`` is sent as ``application/json``; ``raw`` (bytes) is sent as is with ``headers``
    (then ``header_lines``, whose names may repeat). ``user`` names whose captured token goes in
    ``Authorization: Token ...``; ``authorization`` is instead a whole header value that, like
    ``path``, may use ``{name}`` for this side's captures. ``capture`` maps a name to a dotted
    path in the reply's JSON (``"article.slug"``, ``"comment.id"``).
    """

    method: str
    path: str
    json: Any = None
    raw: bytes | None = None
    user: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    capture: dict[str, str] = field(default_factory=dict)
    header_lines: list[tuple[str, str]] = field(default_factory=list)
    authorization: str | None = None

    def request(self, captures: dict[str, str]) -> Request:
        headers = dict(self.headers)
        body = self.raw
        if self.json is not None:
            text = json.dumps(self.json, ensure_ascii=False)
            try:
                body = text.encode("utf-8")
            except UnicodeEncodeError:  # lone surrogates can only travel as \u escapes
                body = json.dumps(self.json).encode("ascii")
            headers.setdefault("Content-Type", "application/json")
        if self.user is not None:
            headers["Authorization"] = f"Token {captures['token:' + self.user]}"
        if self.authorization is not None:
            headers["Authorization"] = self.authorization.format_map(captures)
        return Request(self.method, self.path.format_map(captures), body, headers,
                       list(self.header_lines))


@dataclass
class Side:
    """One server under comparison and the values captured from its replies."""

    name: str
    url: str
    captures: dict[str, str] = field(default_factory=dict)

    def perform(self, step: Step) -> Reply:
        reply = send(self.url, step.request(self.captures))
        for name, dotted in step.capture.items():
            value: Any = json.loads(reply.body)
            for key in dotted.split("."):
                value = value[key]
            self.captures[name] = str(value)
        return reply


class Scenario:
    """Run steps on both sides in lock-step; fail with every mismatch of a run."""

    def __init__(self, legacy_url: str, backend_url: str, log: Path, ttl: int = DEFAULT_TTL):
        self.legacy = Side("legacy", legacy_url)
        self.backend = Side("backend", backend_url)
        self.suffix = f"s{next(_scenario_numbers)}"
        self.log = log
        self.ttl = ttl
        self.compared = 0

    def username(self, who: str) -> str:
        """Return the username ``who`` has in this scenario (the same on both sides)."""
        return f"{who}_{self.suffix}"

    def email(self, who: str) -> str:
        return f"{who}.{self.suffix}@example.com"

    def register(self, who: str, password: str = "password123") -> None:
        """Register ``who`` on both sides and capture their tokens as ``token:<who>``."""
        self.run(
            Step(
                "POST",
                "/api/users",
                {"user": {"username": self.username(who), "email": self.email(who),
                          "password": password}},
                capture={f"token:{who}": "user.token"},
            )
        )

    def run(self, *steps: Step) -> list[tuple[Reply, Reply]]:
        """Run ``steps`` on both sides; raise AssertionError listing every mismatch."""
        failures: list[str] = []
        replies = []
        with self.log.open("a", encoding="utf-8") as log:
            for number, step in enumerate(steps, 1):
                legacy_reply = self.legacy.perform(step)
                backend_reply = self.backend.perform(step)
                mismatches = compare(legacy_reply, backend_reply, ttl=self.ttl)
                self.compared += 1
                replies.append((legacy_reply, backend_reply))
                log.write(json.dumps(_record(step, legacy_reply, backend_reply, mismatches)) + "\n")
                if mismatches:
                    failures.append(
                        f"step {number}: {step.method} {step.path}\n  "
                        + "\n  ".join(str(mismatch) for mismatch in mismatches)
                    )
        assert not failures, "legacy and backend differ:\n" + "\n".join(failures)
        return replies


def _record(step: Step, legacy: Reply, backend: Reply, mismatches: list[Mismatch]) -> dict:
    return {
        "method": step.method,
        "path": step.path,
        "user": step.user,
        "legacy": {"status": legacy.status, "body": legacy.body.decode("utf-8", "replace")},
        "backend": {"status": backend.status, "body": backend.body.decode("utf-8", "replace")},
        "mismatches": [str(mismatch) for mismatch in mismatches],
    }
