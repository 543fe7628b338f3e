"""The queued shadow path under faults, each against real processes (issue 13): real legacy,
the proxy under gunicorn, shadow workers as processes, Redis as a process.

- a worker killed with -9 mid-batch: another claims its exchanges; each compared once;
- Redis stopped and restarted under load (a private redis-server): clients see no error,
  comparisons resume, the gap is recorded as skipped;
- a stream at its backlog limit (no worker): the proxy sheds and counts it;
- forged and tampered entries: refused, counted, never stored.
"""

from __future__ import annotations

import collections
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from shadow.queue import FIELD, GROUP, Sealer
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess
from tests.support.shadow_proxy import comparisons, shadowed_routes
from tests.support.shadow_queue import RedisServer, drop_stream, queue_env

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]
ALTERED = "tests.integration.shadow_proxy.altered:app"


@pytest.fixture
def own_redis(artifacts_dir: Path) -> Iterator[RedisServer]:
    server = RedisServer(artifacts_dir).start()
    yield server
    server.stop()


@pytest.fixture
def shared_queue() -> Iterator[dict[str, str]]:
    env = queue_env()
    yield env
    drop_stream(env)


def metric(url: str, name: str) -> float:
    """Sum a metric's samples (every label set) on a /metrics page."""
    total = 0.0
    for line in httpx.get(url + "/metrics", timeout=5).text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def until(check: Callable[[], bool], limit: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {limit}s: {what}")
        time.sleep(0.2)


def by_request(database: str) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = collections.defaultdict(list)
    for row in comparisons(database):
        rows[row["request_id"]].append(row)
    return rows


def test_a_worker_killed_mid_batch_leaves_its_exchanges_to_another_each_compared_once(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    start_worker: Callable[..., ServerProcess | None],
    shared_queue: dict[str, str],
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(shadowed_routes(timeout=8.0), database, legacy.url, app=ALTERED,
                               **shared_queue)
    doomed = start_worker(proxy, app=ALTERED, concurrency=2, claim_idle=2.0)
    assert doomed is not None and doomed.proc is not None
    client = redis.Redis.from_url(shared_queue["SHADOW_QUEUE_URL"])
    stream = shared_queue["SHADOW_QUEUE_STREAM"]
    ids = [f"killed-{n}" for n in range(16)]
    with httpx.Client(base_url=proxy.url, timeout=30) as api:
        for rid in ids:  # each candidate call takes 3 s ("hang"): the worker holds a batch
            assert api.get("/api/tags", headers={"X-Request-ID": rid,
                                                 "X-Test-Alter": "hang"}).status_code == 200

    def doomed_holds_a_batch() -> bool:
        consumers = client.xinfo_consumers(stream, GROUP)
        return any(c["pending"] > 1 for c in consumers)

    until(doomed_holds_a_batch, 30, "the first worker reads a batch")
    os.kill(doomed.proc.pid, signal.SIGKILL)
    doomed.proc.wait(10)
    stored_before = {rid for rid, rows in by_request(database).items() if rid in ids}
    assert len(stored_before) < len(ids)  # killed mid-way: some exchanges were its own

    heir = start_worker(proxy, app=ALTERED, concurrency=4, claim_idle=2.0)
    assert heir is not None
    until(lambda: set(ids) <= set(by_request(database)), 120, "every exchange compared")
    until(lambda: client.xpending(stream, GROUP)["pending"] == 0, 30, "all acknowledged")
    rows = by_request(database)
    assert {rid: len(rows[rid]) for rid in ids} == dict.fromkeys(ids, 1)  # once each
    assert {rows[rid][0]["outcome"] for rid in ids} == {"match"}
    assert len({rows[rid][0]["exchange_key"] for rid in ids}) == len(ids)
    assert metric(heir.url, "shadow_worker_comparisons_total") >= len(ids) - len(stored_before)
    assert "Traceback" not in heir.log()


def test_redis_stopped_and_restarted_under_load(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    start_worker: Callable[..., ServerProcess | None],
    own_redis: RedisServer,
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    env = queue_env(own_redis.url, SHADOW_QUEUE_TIMEOUT="0.2")
    proxy = start_shadow_proxy(shadowed_routes(), database, legacy.url, **env)
    worker = start_worker(proxy, concurrency=2)
    assert worker is not None
    phase = {"name": "before"}
    sent: dict[str, list[str]] = collections.defaultdict(list)
    failures: list[str] = []
    expected = httpx.get(legacy.url + "/api/tags").content
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=proxy.url, timeout=10) as api:
            n = 0
            while not stop.is_set() and n < 2000:  # bounded
                rid = f"{phase['name']}-{n}"
                response = api.get("/api/tags", headers={"X-Request-ID": rid})
                if response.status_code != 200 or response.content != expected:
                    failures.append(f"{rid}: {response.status_code} {response.text[:100]}")
                sent[phase["name"]].append(rid)
                n += 1
                time.sleep(0.01)

    loader = threading.Thread(target=load)
    loader.start()
    try:
        until(lambda: len(sent["before"]) >= 30, 30, "load before the stop")
        phase["name"] = "down"
        own_redis.stop()
        until(lambda: len(sent["down"]) >= 30, 30, "load while Redis is down")
        phase["name"] = "after"
        own_redis.start()  # the same port, empty (no persistence)
        until(lambda: len(sent["after"]) >= 30, 30, "load after the restart")
    finally:
        stop.set()
        loader.join(30)
    assert failures == []  # the clients never saw the outage
    rows = by_request(database)
    until(lambda: sum(1 for rid in sent["after"][10:] if rid in by_request(database))
          >= len(sent["after"][10:]) - 5, 60, "comparisons resume after the restart")
    rows = by_request(database)
    skipped_down = [rid for rid in sent["down"]
                    if rows.get(rid) and rows[rid][0]["outcome"] == "skipped_overload"]
    compared_down = [rid for rid in sent["down"]
                     if rows.get(rid) and rows[rid][0]["outcome"] != "skipped_overload"]
    assert len(skipped_down) >= len(sent["down"]) - 5  # the gap is recorded as skipped
    assert len(compared_down) <= 5  # (a request as Redis stopped or came back may go through)
    assert all(len(rows[rid]) == 1 for rid in rows)
    assert metric(proxy.url, "shadow_queue_skipped_total") >= len(skipped_down)
    assert "Traceback" not in proxy.log() and "Traceback" not in worker.log()


def test_a_stream_over_its_backlog_limit_is_shed_and_counted(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    shared_queue: dict[str, str],
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(shadowed_routes(), database, legacy.url,
                               SHADOW_QUEUE_MAXLEN="20", **shared_queue)  # and no worker
    client = redis.Redis.from_url(shared_queue["SHADOW_QUEUE_URL"])
    stream = shared_queue["SHADOW_QUEUE_STREAM"]
    with httpx.Client(base_url=proxy.url, timeout=10) as api:
        for n in range(200):
            assert api.get("/api/tags", headers={"X-Request-ID": f"full-{n}"}
                           ).status_code == 200
            if n % 25 == 0:
                time.sleep(0.6)  # the publisher reads the backlog every 0.5 s

    until(lambda: metric(proxy.url, "shadow_queue_skipped_total") > 0, 30, "shedding")
    shed = metric(proxy.url, "shadow_queue_skipped_total")
    published = metric(proxy.url, "shadow_queue_published_total")
    assert published + shed == 200
    assert client.xlen(stream) <= 20 + 100  # trimmed (MAXLEN ~) and shed: bounded
    until(lambda: sum(1 for row in comparisons(database)
                      if row["outcome"] == "skipped_overload") == shed, 30,
          "every shed exchange is in the parity store as skipped_overload")


def test_forged_and_tampered_entries_are_refused_and_counted(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    start_worker: Callable[..., ServerProcess | None],
    shared_queue: dict[str, str],
) -> None:
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxy = start_shadow_proxy(shadowed_routes(), database, legacy.url, **shared_queue)
    worker = start_worker(proxy)
    assert worker is not None
    with httpx.Client(base_url=proxy.url, timeout=10) as api:
        assert api.get("/api/tags", headers={"X-Request-ID": "genuine"}).status_code == 200
    until(lambda: "genuine" in by_request(database), 30, "the genuine exchange compared")
    client = redis.Redis.from_url(shared_queue["SHADOW_QUEUE_URL"])
    stream = shared_queue["SHADOW_QUEUE_STREAM"]
    genuine = client.xrange(stream)[0][1][FIELD]
    forged = Sealer(Sealer.new_key()).seal(
        Sealer(shared_queue["SHADOW_QUEUE_KEY"]).open(genuine))  # a well-formed record, wrong key
    tampered = bytearray(genuine)
    tampered[60] = ord("A") if tampered[60] != ord("A") else ord("B")
    client.xadd(stream, {FIELD: forged})
    client.xadd(stream, {FIELD: bytes(tampered)})
    until(lambda: metric(worker.url, "shadow_worker_refused_total") == 2, 30, "refused")
    health = httpx.get(worker.url + "/health").json()
    assert health["refused"] == 2
    until(lambda: client.xpending(stream, GROUP)["pending"] == 0, 30, "refused and acked")
    assert list(by_request(database)) == ["genuine"]


def test_two_proxies_on_one_stream_with_two_workers_store_each_exchange_once(
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_shadow_proxy: Callable[..., ServerProcess],
    start_worker: Callable[..., ServerProcess | None],
    shared_queue: dict[str, str],
) -> None:
    """Scale-out: two proxies publish to one stream (one consumer group); two workers share it."""
    database = databases.create("postgresql")
    legacy = start_legacy(database)
    proxies = [start_shadow_proxy(shadowed_routes(), database, legacy.url, **shared_queue)
               for _ in range(2)]
    workers = [start_worker(proxy, concurrency=2) for proxy in proxies]
    assert all(worker is not None for worker in workers)
    ids = {proxy.url: [f"pair-{side}-{n}" for n in range(40)]
           for side, proxy in zip("ab", proxies, strict=True)}
    expected = httpx.get(legacy.url + "/api/tags").content
    failures: list[str] = []

    def load(url: str) -> None:
        with httpx.Client(base_url=url, timeout=10) as api:
            for rid in ids[url]:
                response = api.get("/api/tags", headers={"X-Request-ID": rid})
                if response.status_code != 200 or response.content != expected:
                    failures.append(f"{rid}: {response.status_code}")

    threads = [threading.Thread(target=load, args=(proxy.url,)) for proxy in proxies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    everyone = [rid for url in ids for rid in ids[url]]
    until(lambda: set(everyone) <= set(by_request(database)), 90, "every exchange compared")
    client = redis.Redis.from_url(shared_queue["SHADOW_QUEUE_URL"])
    until(lambda: client.xpending(shared_queue["SHADOW_QUEUE_STREAM"], GROUP)["pending"] == 0,
          30, "all acknowledged")
    rows = by_request(database)
    assert {rid: len(rows[rid]) for rid in everyone} == dict.fromkeys(everyone, 1)  # once each
    assert {rows[rid][0]["outcome"] for rid in everyone} == {"match"}
    assert sum(metric(p.url, "shadow_queue_published_total") for p in proxies) == len(everyone)
    assert all(metric(p.url, "shadow_queue_published_total") == 40 for p in proxies)
    compared = [httpx.get(w.url + "/health", timeout=5).json()["compared"]
                for w in workers if w is not None]
    assert sum(compared) == len(everyone)
    assert all("Traceback" not in server.log() for server in [*proxies, *workers] if server)
