"""Reporting queries and the Mirror -> writer -> store pipeline, on both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from shadow.metrics import Metrics
from shadow.mirror import Mirror
from shadow.observation import Observation, Outcome
from shadow.report import latest_mismatches, noise_candidates, route_report, route_reports, timeline
from shadow.store import ParityStore
from shadow.writer import ParityWriter
from tests.support.factories import make_exchange

ROUTE = "GET /api/articles/:slug"
ARTICLE = {"article": {"slug": "a", "title": "A", "favorited": False}}
NOW = datetime.now(UTC)


def fill(engine, make_comparison) -> None:
    store = ParityStore(engine)
    batch = [
        make_comparison(ARTICLE, ARTICLE, route=ROUTE, candidate_ms=float(ms), control_ms=10.0)
        for ms in range(1, 7)
    ]
    batch += [
        make_comparison(
            ARTICLE, {"article": {"slug": "a", "title": "B", "favorited": True}},
            route=ROUTE, request_id=f"m{n}", candidate_ms=100.0, control_ms=10.0,
        )
        for n in range(2)
    ]  # fmt: skip
    batch += [
        make_comparison(ARTICLE, {"article": {"slug": "a"}}, route=ROUTE, request_id="m2"),
        make_comparison(ARTICLE, ARTICLE, route=ROUTE, outcome=Outcome.TIMEOUT),
        make_comparison(ARTICLE, ARTICLE, route=ROUTE, outcome=Outcome.SKIPPED_OVERLOAD),
        make_comparison(ARTICLE, ARTICLE, route="GET /api/tags"),
        make_comparison(ARTICLE, {}, route=ROUTE, at=NOW - timedelta(days=2)),  # too old
    ]
    store.record(batch)


def test_route_report(engine, make_comparison) -> None:
    fill(engine, make_comparison)
    reports = route_reports(engine, NOW - timedelta(hours=1), top=2)
    assert [r.route for r in reports] == [ROUTE, "GET /api/tags"]
    report = reports[0]
    assert report.compared == 10  # the skipped one is not counted as compared
    assert (report.match, report.mismatch) == (6, 3)
    assert report.outcomes["timeout"] == 1 and report.outcomes["skipped_overload"] == 1
    assert report.match_pct == 66.67
    assert report.top_paths == [("body.article.favorited", 3), ("body.article.title", 3)]
    assert report.control_p50 == 10.0
    assert (report.candidate_p50, report.candidate_p99) == (6.0, 100.0)
    row = report.as_dict()
    assert (row["route"], row["compared"], row["match"]) == (ROUTE, 10, 6)
    assert reports[1].match_pct == 100.0


def test_latest_mismatches_are_readable(engine, make_comparison) -> None:
    fill(engine, make_comparison)
    samples = latest_mismatches(engine, ROUTE, limit=2)
    assert len(samples) == 2
    assert all(s.route == ROUTE and s.candidate_status == 200 for s in samples)
    paths = {d["path"] for s in samples for d in s.differences}
    assert "body.article.title" in paths
    assert json.loads(samples[0].control_body) == ARTICLE


def test_empty_store_reports_nothing(engine) -> None:
    assert route_reports(engine, NOW - timedelta(hours=1)) == []
    assert latest_mismatches(engine, ROUTE) == []
    assert noise_candidates(engine, ROUTE) == []


def test_mirror_to_store_end_to_end(engine) -> None:
    writer = ParityWriter(ParityStore(engine), interval=0.01)
    mirror = Mirror([writer, Metrics()], max_in_flight=2, timeout=5.0)

    def answer(body: dict) -> Observation:
        return Observation(200, {"Content-Type": "application/json"}, json.dumps(body).encode())

    control = answer({"article": {"slug": "a", "updatedAt": "1"}})
    mirror.submit(
        make_exchange(ROUTE, request_id="e2e"), control,
        lambda: answer({"article": {"slug": "b", "updatedAt": "1"}}),
        recheck=lambda: answer({"article": {"slug": "a", "updatedAt": "2"}}), calibrate=True,
    )  # fmt: skip
    mirror.submit(make_exchange(ROUTE, method="DELETE"), control, lambda: control)
    for _ in range(500):  # the candidate runs in the background; wait for its verdict
        if mirror.in_flight == 0:
            break
        writer.flush(0.01)
    mirror.close()
    writer.close()
    report = route_reports(engine, NOW - timedelta(minutes=5))[0]
    assert (report.mismatch, report.outcomes["skipped_unsafe"]) == (1, 1)
    assert latest_mismatches(engine, ROUTE)[0].request_id == "e2e"
    assert [n.path for n in noise_candidates(engine, ROUTE)] == ["body.article.updatedAt"]


def test_one_route_report_equals_its_row_of_every_route(engine, make_comparison) -> None:
    fill(engine, make_comparison)
    since = NOW - timedelta(hours=1)
    every = {r.route: r for r in route_reports(engine, since, top=2)}
    assert route_report(engine, ROUTE, since, top=2) == every[ROUTE]
    report = every[ROUTE]
    assert (report.traffic, report.candidate_failures) == (11, 1)  # timeout; skipped in traffic
    assert report.failure_pct == 10.0
    assert route_report(engine, "GET /api/user", since).compared == 0


def test_timeline_buckets_parity_at_its_edges(engine, make_comparison) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = start + timedelta(hours=4)
    equal = {"a": 1}
    at = [start, start + timedelta(minutes=59), start + timedelta(hours=1),  # bucket 0, 0, 1
          end - timedelta(microseconds=1000)]  # the last bucket
    batch = [make_comparison(equal, equal, route=ROUTE, at=when) for when in at]
    batch.append(make_comparison(equal, {"a": 2}, route=ROUTE, at=start + timedelta(minutes=90)))
    batch.append(make_comparison(equal, equal, route=ROUTE, at=end))  # outside [start, end)
    batch.append(make_comparison(equal, equal, route=ROUTE, at=start,
                                 outcome=Outcome.TIMEOUT))  # not judged
    ParityStore(engine).record(batch)

    points = timeline(engine, ROUTE, start, end, buckets=4)

    assert [p.start for p in points] == [start + timedelta(hours=i) for i in range(4)]
    assert [(p.compared, p.parity) for p in points] == [
        (2, 100.0), (2, 50.0), (0, None), (1, 100.0)]


def test_p99_of_both_sides_and_their_ratio(engine, make_comparison) -> None:
    batch = [make_comparison(ARTICLE, ARTICLE, route=ROUTE, control_ms=float(n),
                             candidate_ms=float(3 * n)) for n in range(1, 201)]
    batch.append(make_comparison(ARTICLE, ARTICLE, route="GET /api/tags", control_ms=5.0,
                                 candidate_ms=5.0))
    ParityStore(engine).record(batch)
    reports = route_reports(engine, NOW - timedelta(hours=1))
    report = reports[0]
    assert (report.control_p99, report.candidate_p99) == (198.0, 594.0)
    assert report.latency_ratio == 3.0
    assert report.as_dict()["latency_ratio"] == 3.0
    assert (reports[1].control_p99, reports[1].latency_ratio) == (5.0, 1.0)


def test_latencies_take_one_query_whatever_the_number_of_routes(engine, make_comparison) -> None:
    def statements(routes: int) -> int:
        ParityStore(engine).record([make_comparison(ARTICLE, ARTICLE, route=f"GET /r{n}")
                                    for n in range(routes)])
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            route_reports(engine, NOW - timedelta(hours=1))
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    assert statements(1) == statements(5)


def test_coverage_says_what_the_compared_traffic_exercised(engine, make_comparison) -> None:
    feed = "GET /api/articles/feed"
    empty = {"articles": [], "articlesCount": 0}
    batch = [make_comparison(empty, empty, route=feed) for _ in range(3)]
    batch.append(make_comparison(empty, empty, route=feed, outcome=Outcome.SKIPPED_OVERLOAD))
    store = ParityStore(engine)
    store.record(batch)
    report = route_report(engine, feed, NOW - timedelta(hours=1))
    coverage = report.as_dict()["coverage"]
    assert coverage["statuses"] == {"200": 3}  # the skipped request compared nothing
    assert coverage["list_lengths"] == {"body.articles": {"min": 0, "max": 0}}
    assert coverage["filled"] == ["body.articlesCount"]
    assert coverage["gaps"] == ["only status 200 seen", "never a non-empty body.articles"]

    full = {"articles": [{"slug": "a", "title": "A"}], "articlesCount": 1}
    store.record([make_comparison(full, full, route=feed)])
    coverage = route_report(engine, feed, NOW - timedelta(hours=1)).coverage
    assert coverage.lists == {"body.articles": [0, 1]}
    assert {"body.articles[*].slug", "body.articles[*].title"} <= coverage.filled
    assert coverage.gaps == ["only status 200 seen"]


def test_queued_comparisons_are_stored_once_by_key_with_their_lag(engine, make_comparison
                                                                  ) -> None:
    """A claimed exchange compared twice (its first worker died after storing, before the
    ack) is stored once; the report shows the queue's lag and the share shed."""
    from dataclasses import replace

    store = ParityStore(engine)
    keyed = [replace(make_comparison(ARTICLE, ARTICLE, route=ROUTE, request_id=f"q{n}"),
                     key=f"17000-{n}", lag=n / 10) for n in range(1, 11)]
    assert store.record(keyed[:6]) == 6
    assert store.record(keyed[4:] + [keyed[9]]) == 4  # 4 and 5 stored already; 9 twice here
    shed = make_comparison(ARTICLE, ARTICLE, route=ROUTE, outcome=Outcome.SKIPPED_OVERLOAD)
    assert store.record([shed, shed]) == 2  # unkeyed (in-process) rows are never filtered
    with engine.connect() as connection:
        keys = connection.execute(sa.text(
            "SELECT exchange_key FROM parity_comparisons WHERE exchange_key IS NOT NULL"
        )).scalars().all()
    assert sorted(keys) == sorted(f"17000-{n}" for n in range(1, 11))
    report = route_report(engine, ROUTE, NOW - timedelta(hours=1))
    assert (report.lag_p50, report.lag_p99) == (500.0, 1000.0)
    assert report.skipped_pct == round(100 * 2 / 12, 2)
    row = report.as_dict()
    assert (row["lag_p50_ms"], row["lag_p99_ms"], row["skipped_pct"]) == (500.0, 1000.0, 16.67)
