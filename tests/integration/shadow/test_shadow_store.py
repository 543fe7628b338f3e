"""The parity store on real PostgreSQL and SQLite: records, reservoir, noise, retention."""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from shadow import schema
from shadow.observation import Outcome
from shadow.redact import REDACTED
from shadow.store import ParityStore

ARTICLE = {"article": {"slug": "a", "tagList": ["x"], "favoritesCount": 0}}
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.c2lnbmF0dXJl"


def rows(engine: sa.Engine, table: sa.Table, *order: sa.Column) -> list[dict]:
    with engine.connect() as connection:
        return [dict(r) for r in connection.execute(sa.select(table).order_by(*order)).mappings()]


def mismatching(make_comparison, n: int, route: str = "GET /api/articles"):
    changed = {"article": {"slug": "a", "tagList": ["x"], "favoritesCount": n + 1}}
    return make_comparison(ARTICLE, changed, route=route, request_id=str(n))


def test_record_keeps_every_comparison(engine, make_comparison) -> None:
    at = datetime(2026, 11, 26, 4, 0, 0, 123000, tzinfo=UTC)
    batch = [
        make_comparison(ARTICLE, ARTICLE, request_id="r1", at=at),
        mismatching(make_comparison, 1),
        make_comparison(ARTICLE, ARTICLE, outcome=Outcome.SKIPPED_UNSAFE),
    ]
    ParityStore(engine).record(batch)
    stored = rows(engine, schema.comparisons, schema.comparisons.c.id)
    assert [r["outcome"] for r in stored] == ["match", "mismatch", "skipped_unsafe"]
    first = stored[0]
    assert (first["route"], first["method"], first["control_side"]) == (
        "GET /api/articles", "GET", "legacy",
    )  # fmt: skip
    assert (first["control_status"], first["candidate_status"]) == (200, 200)
    assert (first["control_ms"], first["candidate_ms"]) == (20.0, 30.0)
    assert (first["request_id"], first["compared_at"]) == ("r1", at)


def test_differing_paths_are_stored_generalised_once_per_comparison(
    engine, make_comparison
) -> None:
    control = {"articles": [{"slug": "a", "n": 1}, {"slug": "b", "n": 2}], "count": 2}
    candidate = {"articles": [{"slug": "a", "n": 9}, {"slug": "b", "n": 8}], "count": 3}
    ParityStore(engine).record([make_comparison(control, candidate)])
    paths = rows(engine, schema.differences, schema.differences.c.path)
    assert [p["path"] for p in paths] == ["body.articles[*].n", "body.count"]


def test_reservoir_keeps_at_most_its_size_per_route(engine, make_comparison) -> None:
    store = ParityStore(engine, reservoir_size=5, rng=random.Random(3))
    for start in range(0, 60, 10):
        store.record([mismatching(make_comparison, n) for n in range(start, start + 10)])
    store.record([mismatching(make_comparison, n, route="GET /api/tags") for n in range(3)])
    samples = rows(engine, schema.samples, schema.samples.c.route, schema.samples.c.slot)
    articles = [s for s in samples if s["route"] == "GET /api/articles"]
    assert [s["slot"] for s in articles] == [0, 1, 2, 3, 4]
    assert any(int(s["request_id"]) >= 5 for s in articles)  # later mismatches replaced some
    assert len([s for s in samples if s["route"] == "GET /api/tags"]) == 3
    seen = {
        r["route"]: r["seen"] for r in rows(engine, schema.reservoirs, schema.reservoirs.c.route)
    }
    assert seen == {"GET /api/articles": 60, "GET /api/tags": 3}


def test_reservoir_stays_bounded_under_concurrent_writers(engine, make_comparison) -> None:
    def write(seed: int) -> None:
        store = ParityStore(engine, reservoir_size=4, rng=random.Random(seed))
        for n in range(10):
            store.record([mismatching(make_comparison, n)])

    threads = [threading.Thread(target=write, args=(seed,)) for seed in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [s["slot"] for s in rows(engine, schema.samples, schema.samples.c.slot)] == [0, 1, 2, 3]
    assert rows(engine, schema.reservoirs)[0]["seen"] == 30


def test_samples_hold_redacted_diffs_and_bodies(engine, make_comparison) -> None:
    control = {"user": {"email": "a@b.c", "token": JWT, "bio": None, "password": "hunter2"}}
    candidate = {"user": {"email": "a@b.c", "token": JWT[::-1], "bio": f"Token {JWT}"}}
    ParityStore(engine).record([make_comparison(control, candidate, route="GET /api/user")])
    [sample] = rows(engine, schema.samples)
    stored = json.dumps(sample, default=str)
    assert JWT not in stored and JWT[::-1] not in stored and "hunter2" not in stored
    differences = {d["path"]: d for d in json.loads(sample["differences"])}
    assert differences["body.user.token"]["control"] == REDACTED
    assert differences["body.user.password"]["kind"] == "missing_in_candidate"
    assert json.loads(sample["control_body"]) == {
        "user": {"email": "a@b.c", "token": REDACTED, "bio": None, "password": REDACTED}
    }
    assert json.loads(sample["candidate_body"])["user"]["bio"] == REDACTED


def test_noise_counts_each_path(engine) -> None:
    store = ParityStore(engine)
    first, later = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)
    store.record_noise("GET /api/articles", ["body..updatedAt", "body.x"], first)
    store.record_noise("GET /api/articles", ["body..updatedAt"], later)
    noise = rows(engine, schema.noise, schema.noise.c.path)
    assert [(n["path"], n["count"], n["first_seen"], n["last_seen"]) for n in noise] == [
        ("body..updatedAt", 2, first, later),
        ("body.x", 1, first, first),
    ]


def test_prune_by_age(engine, make_comparison) -> None:
    now = datetime(2026, 11, 26, tzinfo=UTC)
    store = ParityStore(engine)
    store.record(
        [mismatching(make_comparison, n) for n in range(3)]
        + [make_comparison(ARTICLE, {"x": 1}, at=now - timedelta(days=d)) for d in (10, 40)]
    )
    assert store.prune(max_age=timedelta(days=30), now=now) == 1
    assert len(rows(engine, schema.comparisons)) == 4
    dates = {r["compared_at"] for r in rows(engine, schema.differences)}
    assert min(dates) >= now - timedelta(days=30)


def test_prune_to_a_row_count_keeps_the_newest(engine, make_comparison) -> None:
    store = ParityStore(engine)
    for n in range(10):
        store.record([mismatching(make_comparison, n)])
    assert store.prune(max_rows=4) == 6
    kept = rows(engine, schema.comparisons, schema.comparisons.c.id)
    assert [r["request_id"] for r in kept] == ["6", "7", "8", "9"]
    assert len(rows(engine, schema.differences)) == 4
    assert store.prune(max_rows=4) == 0
