"""The shadow queue against a real redis-server: sealing, publishing without blocking,
shedding at the backlog and age limits, Redis down, forged and tampered entries, claims."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shadow.exchange import Exchange
from shadow.observation import Observation, Outcome
from shadow.queue import (
    FIELD,
    GROUP,
    QueuePublisher,
    QueueSettings,
    Sealer,
    StreamReader,
    backlog,
)
from shadow.record import Record, RecordError
from tests.support.processes import free_port
from tests.support.shadow_queue import RedisServer

CONTROL = Observation(200, [("Content-Type", "application/json")], b'{"tags":[]}', 0.01)


def record(n: int, started: float | None = None) -> Record:
    exchange = Exchange(route="GET /api/tags", method="GET", request_id=f"r-{n}",
                        path="/api/tags", target="/api/tags",
                        headers=(("Authorization", "Token secret-token"),),
                        started=time.time() if started is None else started)
    return Record(exchange, CONTROL, "v1")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    own = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield own
    own.stop()


@pytest.fixture
def settings(server: RedisServer, request: pytest.FixtureRequest) -> QueueSettings:
    return QueueSettings(url=server.url, key=Sealer.new_key(), stream=f"t:{request.node.name}",
                         maxlen=100, max_age=30.0, timeout=0.5)


class Skips:
    def __init__(self) -> None:
        self.seen: list[tuple[str | None, Outcome, str]] = []

    def __call__(self, rec: Record, outcome: Outcome, reason: str) -> None:
        self.seen.append((rec.exchange.request_id, outcome, reason))


def test_sealed_entries_hide_the_secrets_and_open_only_with_the_key(
        settings: QueueSettings) -> None:
    sealer = Sealer(settings.key)
    token = sealer.seal(record(1))
    assert b"secret-token" not in token and b"secret-token" not in base64.urlsafe_b64decode(token)
    assert sealer.open(token).exchange.headers == (("Authorization", "Token secret-token"),)
    with pytest.raises(RecordError, match="forged or tampered"):
        Sealer(Sealer.new_key()).open(token)
    tampered = bytearray(base64.urlsafe_b64decode(token))
    tampered[40] ^= 1
    with pytest.raises(RecordError, match="forged or tampered"):
        sealer.open(base64.urlsafe_b64encode(bytes(tampered)))
    with pytest.raises(ValueError, match="not a Fernet key"):
        Sealer("short")


def test_published_records_reach_a_reader_and_are_acknowledged(settings: QueueSettings) -> None:
    skips = Skips()
    publisher = QueuePublisher(settings, skips)
    for n in range(5):
        publisher.publish(record(n))
    assert publisher.flush()
    reader = StreamReader(settings, "c1", claim_idle=60.0, block=0.5)
    entries = reader.read(10)
    assert [e.record.exchange.request_id for e in entries if e.record] == [
        f"r-{n}" for n in range(5)]
    assert reader.pending() == 5
    reader.ack([e.id for e in entries])
    assert reader.pending() == 0 and skips.seen == [] and publisher.published == 5
    publisher.close()


def test_forged_and_tampered_entries_are_refused(settings: QueueSettings) -> None:
    client = settings.client()
    reader = StreamReader(settings, "c1", block=0.5)
    reader.ensure_group()
    good = Sealer(settings.key).seal(record(1))
    client.xadd(settings.stream, {FIELD: Sealer(Sealer.new_key()).seal(record(2))})  # forged
    client.xadd(settings.stream, {FIELD: good[:-4] + b"AAA="})  # tampered
    client.xadd(settings.stream, {b"other": b"x"})  # no record
    client.xadd(settings.stream, {FIELD: good})
    entries = reader.read(10)
    assert [(e.record is None, bool(e.refused)) for e in entries] == [
        (True, True), (True, True), (True, True), (False, False)]


def test_redis_down_is_skipped_with_a_reason_and_never_blocks(
        settings: QueueSettings) -> None:
    down = QueueSettings(url=f"redis://127.0.0.1:{free_port()}/0", key=settings.key,
                         stream=settings.stream, timeout=0.2)
    skips = Skips()
    publisher = QueuePublisher(down, skips)
    for n in range(50):
        publisher.publish(record(n))  # returns at once: the thread meets the refusal
    assert publisher.flush()
    assert len(skips.seen) == 50 and publisher.published == 0
    assert {outcome for _, outcome, _ in skips.seen} == {Outcome.SKIPPED_OVERLOAD}
    assert all(reason.startswith("queue unavailable") for _, _, reason in skips.seen)
    assert publisher.skipped == {"unavailable": 50}
    publisher.close()


def test_a_slow_redis_fills_the_buffer_and_the_rest_is_skipped_not_waited_for(
        settings: QueueSettings) -> None:
    with socket.socket() as silent:  # accepts connections, never answers: a hung Redis
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        slow = QueueSettings(url=f"redis://127.0.0.1:{silent.getsockname()[1]}/0",
                             key=settings.key, stream=settings.stream, timeout=1.0)
        skips = Skips()
        publisher = QueuePublisher(slow, skips, buffer=3)
        for n in range(20):
            publisher.publish(record(n))
        # each publish returned while the sender was stuck on Redis: 3 waited in the buffer
        # (and perhaps a batch in the sender's hands), the rest were skipped at once
        assert publisher.skipped.get("buffer", 0) >= 16
        assert publisher.flush(10.0)
        assert sum(publisher.skipped.values()) == 20  # the rest timed out: "unavailable"
        assert {reason for _, _, reason in skips.seen} >= {"the publisher's buffer is full"}
        publisher.close()


def test_backlog_over_the_limit_stops_publishing(settings: QueueSettings) -> None:
    skips = Skips()
    publisher = QueuePublisher(settings, skips, interval=0.05)
    for n in range(settings.maxlen):  # nobody reads: the backlog grows to the stream's length
        publisher.publish(record(n))
        if n % 20 == 0:
            publisher.flush()
    assert publisher.flush()
    deadline = time.monotonic() + 5
    while publisher.shedding is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert publisher.shedding == "backlog"
    publisher.publish(record(999))
    assert skips.seen[-1] == ("r-999", Outcome.SKIPPED_OVERLOAD,
                              "the queue's backlog is over its limit")
    length = settings.client().xlen(settings.stream)
    assert length <= settings.maxlen * 1.1 + 100  # trimmed (MAXLEN ~), never unbounded
    assert backlog(settings.client(), settings.stream).entries >= settings.maxlen * 0.9
    # The workers catch up: publishing resumes.
    reader = StreamReader(settings, "c1", block=0.2)
    while entries := reader.read(100):
        reader.ack([e.id for e in entries])
    deadline = time.monotonic() + 5
    while publisher.shedding is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert publisher.shedding is None
    publisher.close()


def test_an_old_backlog_stops_publishing(settings: QueueSettings) -> None:
    aged = QueueSettings(url=settings.url, key=settings.key, stream=settings.stream,
                         maxlen=1000, max_age=0.2)
    client = aged.client()
    StreamReader(aged, "c1").ensure_group()
    client.xadd(aged.stream, {FIELD: Sealer(aged.key).seal(record(0))})
    time.sleep(0.4)
    assert backlog(client, aged.stream).age > 0.2
    skips = Skips()
    publisher = QueuePublisher(aged, skips, interval=0.05)
    publisher.publish(record(1))
    assert publisher.flush()
    deadline = time.monotonic() + 5
    while publisher.shedding is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert publisher.shedding == "age"
    publisher.close()


def test_a_dead_consumers_entries_are_claimed(settings: QueueSettings) -> None:
    publisher = QueuePublisher(settings, Skips())
    for n in range(3):
        publisher.publish(record(n))
    assert publisher.flush()
    dead = StreamReader(settings, "dead", claim_idle=0.2, block=0.2)
    assert len(dead.read(10)) == 3  # read, never acknowledged
    alive = StreamReader(settings, "alive", claim_idle=0.2, block=0.2)
    time.sleep(0.3)
    claimed = alive.read(10)
    assert sorted(e.record.exchange.request_id for e in claimed if e.record) == [
        "r-0", "r-1", "r-2"]
    alive.ack([e.id for e in claimed])
    info = settings.client().xpending(settings.stream, GROUP)
    assert info["pending"] == 0
    publisher.close()


def test_settings_refuse_a_queue_without_a_key() -> None:
    from shadow.settings import SettingError, read

    with pytest.raises(SettingError, match="SHADOW_QUEUE_KEY is required"):
        read({"SHADOW_QUEUE_URL": "redis://127.0.0.1:6379/1"})
    with pytest.raises(SettingError, match="redis://"):
        read({"SHADOW_QUEUE_URL": "http://x", "SHADOW_QUEUE_KEY": Sealer.new_key()})
    assert read({}).shadow_queue_url is None


def test_the_key_command_prints_a_key_the_sealer_takes() -> None:
    from click.testing import CliRunner

    from rollout.shadow_cli import shadow

    result = CliRunner().invoke(shadow, ["key"])
    assert result.exit_code == 0
    sealer = Sealer(result.output.strip())
    assert sealer.open(sealer.seal(record(1))).exchange.request_id == "r-1"


def test_a_worker_without_a_queue_says_why_and_stops(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite",
           "STRANGLER_ENV": "development"}
    strangler = str(Path(sys.executable).parent / "strangler")
    done = subprocess.run([strangler, "shadow", "work"], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode != 0
    assert "SHADOW_QUEUE_URL is not set" in done.stderr
