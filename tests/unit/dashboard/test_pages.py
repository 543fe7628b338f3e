"""The overview and the route page show what the parity store holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from backend.database import db
from tests.support.seeding import seed

TAGS, ARTICLE = "GET /api/tags", "GET /api/articles/:slug"


@pytest.fixture
def seeded(make_app, databases):
    """A proxy app on its own database holding comparisons of two routes."""
    from backend.database import database_url
    from rollout.dashboard.accounts import create_user
    from rollout.dashboard.models import Role
    from tests.support.dashboard import PASSWORD

    app = make_app(SQLALCHEMY_DATABASE_URI=database_url(databases.create("sqlite")),
                   READY_COMPARISONS=10)
    with app.app_context():
        create_user("otto", PASSWORD, Role.OPERATOR)
        seed(db.engine, TAGS, matches=18, mismatches=2)
        seed(db.engine, ARTICLE, matches=30)
        seed(db.engine, "GET /api/profiles/:username", matches=3, failures=1)
        seed(db.engine, ARTICLE, matches=5, ago=timedelta(hours=3))
    return app


def test_the_overview_lists_every_route_with_figures_and_attention_first(seeded, login):
    client = seeded.test_client()
    login(client, "otto")
    page = client.get("/_strangler/?window=1h").get_data(as_text=True)
    profiles = page.index("GET /api/profiles/:username")
    tags, article = page.index(TAGS), page.index(ARTICLE)
    assert profiles < tags < article  # failing, then differing, then ready
    assert "90.00%" in page and "100.00%" in page
    assert "ready to flip" in page and "candidate errors or timeouts" in page


def test_the_overview_json_carries_the_same_figures(seeded, login):
    client = seeded.test_client()
    login(client, "otto")
    rows = {r["route"]: r for r in client.get("/_strangler/api/overview?window=1h").get_json()[
        "routes"]}
    assert rows[TAGS]["match_pct"] == 90.0
    assert rows[TAGS]["compared"] == 20
    assert rows[TAGS]["state"] == "shadow"
    assert rows[TAGS]["verdict"] == "differs"
    assert rows[ARTICLE]["verdict"] == "ready"
    assert rows[ARTICLE]["compared"] == 30
    assert rows["GET /api/profiles/:username"]["candidate_errors"] == 1
    assert rows["GET /api/profiles/:username"]["state"] == "default (legacy)"
    wider = client.get("/_strangler/api/overview?window=24h").get_json()["routes"]
    assert next(r for r in wider if r["route"] == ARTICLE)["compared"] == 35


def test_the_route_page_highlights_the_differing_field_side_by_side(seeded, login):
    client = seeded.test_client()
    login(client, "otto")
    page = client.get("/_strangler/routes/GET/api/tags").get_data(as_text=True)
    assert "<code>body.tags[*]</code>" in page  # top differing path, with its count
    assert page.count('class="line differs" data-path="body.tags[1]"') >= 2  # both sides
    assert "&#34;welcome&#34;" in page and "&#34;training&#34;" in page  # escaped quotes
    assert 'data-path="body.tags[0]"' in page and 'differs" data-path="body.tags[0]"' not in page
    assert "<svg" in page and "<polyline" in page


def test_a_route_without_comparisons_says_so(seeded, login):
    client = seeded.test_client()
    login(client, "otto")
    page = client.get("/_strangler/routes/POST/api/users").get_data(as_text=True)
    assert "No comparisons in the last 24h." in page
    assert "No sampled mismatches." in page


def test_an_invalid_routes_yaml_is_reported_and_the_pages_still_open(client, login,
                                                                     routes_file):
    login(client, "vera")
    routes_file.write_text("routes:\n  - route: GET /api/tags\n    serve: nowhere\n")
    page = client.get("/_strangler/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "routes.yaml is invalid; the proxy keeps the last good table." in text
    assert "routes[0].serve" in text


def test_route_links_carry_the_template_and_open_its_page(seeded, login):
    client = seeded.test_client()
    login(client, "otto")
    overview = client.get("/_strangler/").get_data(as_text=True)
    assert 'href="/_strangler/routes/GET/api/articles/:slug"' in overview
    page = client.get("/_strangler/routes/GET/api/articles/:slug?window=1h")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<code>GET /api/articles/:slug</code>" in text
    assert "30 / 0" in text  # matched / mismatched in the last hour


def test_markup_in_mismatch_samples_is_shown_escaped(make_app, databases, login):
    from backend.database import database_url
    from rollout.dashboard.accounts import create_user
    from rollout.dashboard.models import Role
    from shadow.compare import compare
    from shadow.comparison import Comparison
    from shadow.store import ParityStore
    from tests.support.dashboard import PASSWORD
    from tests.support.seeding import observation

    app = make_app(SQLALCHEMY_DATABASE_URI=database_url(databases.create("sqlite")))
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with app.app_context():
        create_user("otto", PASSWORD, Role.OPERATOR)
        control, candidate = observation({"bio": "fine"}), observation({"bio": evil, evil: 1})
        ParityStore(db.engine).record([Comparison.of(
            TAGS, "GET", "legacy", control, compare(control, candidate), candidate=candidate,
            candidate_seconds=0.01, request_id="xss")])
    client = app.test_client()
    login(client, "otto")
    page = client.get("/_strangler/routes/GET/api/tags").get_data(as_text=True)
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def _statements_of_route_page(app, client) -> list[str]:
    """Return the SQL statements one route page runs (session and account included)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        page = client.get("/_strangler/routes/GET/api/tags?window=1h")
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200
    assert "90.00%" in page.get_data(as_text=True)
    return statements


def test_a_route_page_runs_few_queries_however_many_routes_are_compared(seeded, login):
    client = seeded.test_client()
    login(client, "otto")
    few = _statements_of_route_page(seeded, client)
    with seeded.app_context():
        for i in range(12):
            seed(db.engine, f"GET /api/more/{i}", matches=3, mismatches=1)
    many = _statements_of_route_page(seeded, client)

    assert len(many) == len(few), many  # independent of the number of routes
    assert len(few) <= 16, few  # one report, one timeline query, samples, noise, audit, login


def test_the_route_page_shows_the_latency_ratio_and_the_verdict(seeded, login):
    client = seeded.test_client()
    login(client, "otto")
    page = client.get("/_strangler/routes/GET/api/articles/:slug").get_data(as_text=True)
    assert '<dd id="latency-ratio">1.40x <small>(at most 1.5x)</small>' in page  # 7 ms / 5 ms
    assert "ready to flip" in page and "candidate p99 1.4x the control&#39;s" in page


def test_a_candidate_slower_than_the_ratio_is_not_ready(make_app, databases, login):
    from backend.database import database_url
    from rollout.dashboard.accounts import create_user
    from rollout.dashboard.models import Role
    from tests.support.dashboard import PASSWORD

    app = make_app(SQLALCHEMY_DATABASE_URI=database_url(databases.create("sqlite")),
                   READY_COMPARISONS=10, READY_LATENCY_RATIO=1.2)
    with app.app_context():
        create_user("otto", PASSWORD, Role.OPERATOR)
        seed(db.engine, ARTICLE, matches=30)
    client = app.test_client()
    login(client, "otto")
    rows = client.get("/_strangler/api/overview?window=1h").get_json()["routes"]
    row = next(r for r in rows if r["route"] == ARTICLE)
    assert (row["verdict"], row["latency_ratio"]) == ("slower", 1.4)
    assert row["reason"] == "candidate p99 7.0 ms > 1.2 x control p99 5.0 ms"
    page = client.get("/_strangler/routes/GET/api/articles/:slug").get_data(as_text=True)
    assert 'id="verdict" class="verdict-slower">slower' in page


def test_coverage_is_shown_and_a_route_with_gaps_is_flagged_not_covered(seeded, login):
    client = seeded.test_client()
    login(client, "otto")
    rows = {r["route"]: r for r in client.get("/_strangler/api/overview?window=1h").get_json()[
        "routes"]}
    article = rows[ARTICLE]
    assert article["verdict"] == "ready"  # a warning, not a gate
    assert article["warning"] == "not covered: only status 200 seen"
    assert article["coverage"]["statuses"] == {"200": 30}
    assert article["coverage"]["list_lengths"] == {"body.tags": {"min": 2, "max": 2}}
    page = client.get("/_strangler/routes/GET/api/articles/:slug").get_data(as_text=True)
    assert '<p class="warning">not covered: only status 200 seen</p>' in page
    assert "<code>body.tags</code> 2–2" in page and "<code>body.tags[*]</code>" in page
    overview = client.get("/_strangler/?window=1h").get_data(as_text=True)
    assert '<small class="warning">not covered: only status 200 seen</small>' in overview


def test_unmatched_comparisons_have_a_row_and_a_page(seeded, login):
    with seeded.app_context():
        seed(db.engine, "(unmatched)", matches=4, mismatches=1)
    client = seeded.test_client()
    login(client, "otto")
    overview = client.get("/_strangler/?window=1h")
    assert overview.status_code == 200
    assert '<a href="/_strangler/routes/unmatched"><code>(unmatched)</code></a>' in (
        overview.get_data(as_text=True))
    page = client.get("/_strangler/routes/unmatched")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<code>(unmatched)</code>" in text and "80.00%" in text
    assert "<h2>Flip</h2>" not in text  # nothing to flip: it is no route of routes.yaml


def test_the_route_page_groups_mismatches_and_re_runs_a_captured_one(seeded, login):
    """One line per diff group; Re-run sends the sample's captured request to the backend
    (in-process, read-only) and shows the fresh diff; an uncaptured one says so."""
    from shadow import Exchange, Observation
    from shadow.capture import CaptureStore
    from shadow.record import Record
    from tests.support.dashboard import csrf_token

    with seeded.app_context():
        exchange = Exchange(route=TAGS, method="GET", request_id="req-18", path="/api/tags",
                            target="/api/tags", headers=(("Accept", "application/json"),),
                            environ=(("REQUEST_METHOD", "GET"), ("SERVER_NAME", "x"),
                                     ("SERVER_PORT", "80"), ("wsgi.url_scheme", "http")))
        control = Observation(200, [("Content-Type", "application/json; charset=utf-8")],
                              b'{"tags":["dragons"]}')
        CaptureStore(db.engine).add([Record(exchange, control)])
    client = seeded.test_client()
    login(client, "otto")
    page = client.get("/_strangler/routes/GET/api/tags").get_data(as_text=True)
    assert "Diff groups" in page
    assert page.count("<code>body.tags[*]</code>") >= 2  # top paths and the one group
    assert "<code>req-18</code> <code>req-19</code>" in page
    token = csrf_token(client, "/_strangler/routes/GET/api/tags")
    rerun = client.post("/_strangler/routes/GET/api/tags/rerun",
                        data={"request_id": "req-18", "csrf_token": token})
    shown = rerun.get_data(as_text=True)
    assert rerun.status_code == 200
    assert "<strong>Re-run:</strong> mismatch" in shown  # the empty database has no tags
    assert '<code class="path">body.tags[0]</code> missing in candidate' in shown
    missing = client.post("/_strangler/routes/GET/api/tags/rerun",
                          data={"request_id": "req-19", "csrf_token": token},
                          follow_redirects=True).get_data(as_text=True)
    assert "Request req-19 was not captured" in missing
@pytest.fixture
def served(seeded):
    """Route traffic as the proxy's workers store it: legacy still serves GET /api/tags."""
    from proxy import traffic

    minute = int(datetime.now(UTC).timestamp() // 60)
    with seeded.app_context():
        traffic.record(db.engine, {
            (minute, TAGS, True, "request", "legacy"): 23,
            (minute, TAGS, True, "head", "legacy"): 2,
            (minute, TAGS, True, "shadow", "legacy"): 4,  # shadow's calls: not served
            (minute, ARTICLE, True, "request", "flask"): 7,
            (minute, "GET /old/:param", False, "request", "legacy"): 3,
        })
    return seeded


def test_the_traffic_column_counts_every_request_served(served, login):
    client = served.test_client()
    login(client, "otto")
    rows = {r["route"]: r for r in client.get("/_strangler/api/overview?window=1h").get_json()[
        "routes"]}
    assert rows[TAGS]["traffic"] == 25 and rows[TAGS]["shadowed"] == 20
    assert rows[ARTICLE]["traffic"] == 7
    assert rows["(unmatched)"]["traffic"] == 3
    page = client.get("/_strangler/routes/GET/api/tags?window=1h").get_data(as_text=True)
    assert '<dd id="traffic">25</dd>' in page


def test_the_legacy_page_shows_what_the_cli_shows(served, login):
    client = served.test_client()
    login(client, "otto")
    status = client.get("/_strangler/api/legacy?window=1h").get_json()
    assert status["can_switch_off"] is False
    assert status["served"] == 23 + 2 + 7 + 3 and status["to_legacy"] == 23 + 2 + 4 + 3
    assert [(r["route"], r["requests"]) for r in status["legacy"]["unmatched"]] == [
        ("GET /old/:param", 3)]
    assert "default: legacy serves every request no route matches" in status["table"]
    page = client.get("/_strangler/legacy?window=1h").get_data(as_text=True)
    assert status["verdict"] in page
    assert 'data-route="GET /old/:param" data-kind="request"' in page


def test_the_queue_lag_and_the_skipped_share_are_shown(make_app, databases, login):
    """Queued comparisons carry their lag; shed requests are a share of their own, so a
    shed comparison is never read as a match."""
    from dataclasses import replace

    from backend.database import database_url
    from rollout.dashboard.accounts import create_user
    from rollout.dashboard.models import Role
    from shadow import Comparison, Observation, Outcome, ParityStore, Result
    from tests.support.dashboard import PASSWORD

    app = make_app(SQLALCHEMY_DATABASE_URI=database_url(databases.create("sqlite")),
                   READY_COMPARISONS=10)
    with app.app_context():
        create_user("otto", PASSWORD, Role.OPERATOR)
        control = Observation(200, [], b"{}", 0.005)
        queued = [Comparison.of(TAGS, "GET", "legacy", control, Result(Outcome.MATCH),
                                candidate=control, candidate_seconds=0.005, key=f"1-{n}",
                                lag=n / 100) for n in range(1, 7)]
        shed = Comparison.of(TAGS, "GET", "legacy", control, Result(Outcome.SKIPPED_OVERLOAD))
        ParityStore(db.engine).record([*queued, shed, replace(shed)])
    client = app.test_client()
    login(client, "otto")
    row = next(r for r in client.get("/_strangler/api/overview?window=1h").get_json()["routes"]
               if r["route"] == TAGS)
    assert (row["skipped_pct"], row["lag_p50_ms"], row["lag_p99_ms"]) == (25.0, 30.0, 60.0)
    page = client.get("/_strangler/").get_data(as_text=True)
    assert '<td class="num skipped">25.00%</td>' in page
    route_page = client.get("/_strangler/routes/GET/api/tags").get_data(as_text=True)
    assert '<dd id="skipped">25.00%</dd>' in route_page
    assert '<dd id="lag">30.0 / 60.0 ms</dd>' in route_page
