"""A bounded load loop through the edge: reads and writes, every failure recorded."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx


@dataclass
class LoadResult:
    """What the loop saw: requests by outcome, the failures, and the writes acknowledged."""

    requests: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    comments_created: int = 0
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def summary(self) -> str:
        return (f"{self.total} requests in {self.seconds:.1f}s "
                f"({', '.join(f'{k} {v}' for k, v in sorted(self.requests.items()))}), "
                f"{len(self.failures)} failed, {self.comments_created} comments written")


class EdgeLoad:
    """``clients`` threads, each on its own kept-alive connection, until stopped or bounded."""

    def __init__(self, base_url: str, token: str, slug: str, *, clients: int = 4,
                 max_seconds: float = 300.0, max_requests: int = 100_000,
                 pause: float = 0.005) -> None:
        self.base_url = base_url
        self.headers = {"Authorization": f"Token {token}"}
        self.slug = slug
        self.clients = clients
        self.max_seconds = max_seconds
        self.max_requests = max_requests
        self.pause = pause
        self.result = LoadResult()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started = 0.0

    def __enter__(self) -> EdgeLoad:
        self._started = time.monotonic()
        self._threads = [threading.Thread(target=self._client, args=(n,), daemon=True)
                         for n in range(self.clients)]
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self.result.seconds = time.monotonic() - self._started

    def _client(self, number: int) -> None:
        requests = itertools.cycle([
            ("GET /api/tags", "GET", "/api/tags", None),
            ("GET /api/articles", "GET", "/api/articles?limit=5", None),
            ("GET /api/user", "GET", "/api/user", None),
            ("GET /api/articles/:slug", "GET", f"/api/articles/{self.slug}", None),
            ("POST comment", "POST", f"/api/articles/{self.slug}/comments", "comment"),
        ])
        deadline = self._started + self.max_seconds
        with httpx.Client(base_url=self.base_url, headers=self.headers, timeout=15) as client:
            for sent in itertools.count():
                if self._stop.is_set() or time.monotonic() > deadline:
                    return
                if self.result.total >= self.max_requests:
                    return
                name, method, path, write = next(requests)
                body = ({"comment": {"body": f"load {number}-{sent}"}} if write else None)
                try:
                    response = client.request(method, path, json=body)
                    ok = response.is_success
                    detail = f"{name}: {response.status_code} {response.text[:200]}"
                except httpx.HTTPError as error:
                    ok, detail = False, f"{name}: {type(error).__name__}: {error}"
                with self._lock:
                    self.result.requests[name] += 1
                    if not ok:
                        self.result.failures.append(detail)
                    elif write:
                        self.result.comments_created += 1
                time.sleep(self.pause)
