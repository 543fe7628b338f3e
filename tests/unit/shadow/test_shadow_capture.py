"""Capture: the policy a route resolves, the redaction before storage, the store, diff groups,
and the replay's re-minting of credentials and of values each side makes itself."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from proxy.validation import RouteFileError, load_table
from rollout.replay import Tokens, replay
from shadow import Exchange, Observation, Rules, schema
from shadow.capture import Captured, CaptureStore, CaptureWriter, read_file, read_line
from shadow.capture_policy import Policy
from shadow.capture_redact import pseudonym, redact_record
from shadow.groups import group_results
from shadow.observation import Difference, Kind, Outcome, Result
from shadow.record import Record, RecordError

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjF9.c2lnbmF0dXJl"
ROUTES = """
default: legacy
capture: {fraction: 0.5, max_per_hour: 10, redact: [body.user.email]}
routes:
  - route: GET /api/tags
    serve: legacy
    capture: {fraction: 1.0, redact: [body.tags]}
  - route: GET /api/user
    serve: legacy
    capture: {fraction: 0.0}
"""


def login(body: dict, answer: dict, headers=()) -> Record:
    data = json.dumps(body).encode()
    exchange = Exchange(route="POST /api/users/login", method="POST", path="/api/users/login",
                        target="/api/users/login?token=abc&q=1",
                        headers=(("Content-Length", str(len(data))), *headers), body=data,
                        environ=(("QUERY_STRING", "token=abc&q=1"),), started=time.time())
    return Record(exchange, Observation(200, [("Set-Cookie", "sid=s3cret; Path=/")],
                                        json.dumps(answer).encode(), 0.01))


def test_a_route_resolves_its_own_capture_settings_over_the_global_ones() -> None:
    table = load_table(ROUTES, "routes.yaml", None)
    tags = table.captures["GET /api/tags"]
    assert (tags.fraction, tags.max_per_hour) == (1.0, 10)
    assert [str(p) for p in tags.redact] == ["body.user.email", "body.tags"]
    assert "GET /api/user" not in table.captures  # fraction 0: not captured at all


@pytest.mark.parametrize("bad", ["capture: {fraction: 2}", "capture: {redact: [nobody]}",
                                 "capture: {sample: 1}"])
def test_bad_capture_settings_are_refused(bad: str) -> None:
    with pytest.raises(RouteFileError):
        load_table(f"default: legacy\n{bad}\nroutes: []\n", "routes.yaml", None)


def test_redaction_removes_every_credential_and_keeps_tokens_as_stable_pseudonyms() -> None:
    record = login({"user": {"email": "a@b.c", "password": "hunter2"}},
                   {"user": {"email": "a@b.c", "token": JWT}},
                   headers=(("Authorization", f"Token {JWT}"), ("Cookie", "sid=s3cret")))
    clean = redact_record(record, Policy.from_settings({"redact": ["body.user.email"]}).redact)
    text = clean.to_json().decode() + clean.exchange.body.decode() + clean.control.body.decode()
    for secret in (JWT, "hunter2", "s3cret", "a@b.c", "token=abc"):
        assert secret not in text
    headers = dict(clean.exchange.headers)
    assert headers["Authorization"] == f"Token {pseudonym(JWT)}"
    assert headers["Cookie"] == "[REDACTED]"
    assert headers["Content-Length"] == str(len(clean.exchange.body))
    assert json.loads(clean.control.body)["user"]["token"] == pseudonym(JWT)  # same pseudonym
    assert dict(clean.control.headers)["Set-Cookie"] == "sid=[REDACTED]; Path=/"
    assert json.loads(clean.exchange.body) == {"user": {"email": "[REDACTED]",
                                                        "password": "[REDACTED]"}}
    assert redact_record(clean) == clean  # redacting again (import) changes nothing


def test_form_bodies_are_redacted_by_field_name() -> None:
    body = b"username=bob&password=hunter2"
    exchange = Exchange(route="POST /login", method="POST",
                        headers=(("Content-Type", "application/x-www-form-urlencoded"),),
                        body=body)
    clean = redact_record(Record(exchange))
    assert b"hunter2" not in clean.exchange.body and b"username=bob" in clean.exchange.body


def test_the_store_keeps_exports_and_finds_captures(tmp_path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    schema.metadata.create_all(engine)
    store = CaptureStore(engine)
    record = redact_record(login({"user": {"email": "x", "password": "p"}}, {"user": {}}))
    record = Record(replace(record.exchange, request_id="rid-1", started=time.time()),
                    record.control)
    old = datetime.now(UTC) - timedelta(days=30)
    [first] = store.add([record], captured_at=old)
    [second] = store.add([record])
    lines = [c.export_line() for c in store.captured()]
    assert [json.loads(line)["capture"] for line in lines] == [1, 1]
    assert read_file(lines)[1].record == record
    assert store.find(str(second)).id == second and store.find("rid-1").id == second
    assert store.prune(max_age=timedelta(days=14)) == 1
    assert [c.id for c in store.captured()] == [second] and first != second
    with pytest.raises(RecordError, match="line 3"):
        read_line('{"capture": 2, "record": {}}', 3)
    engine.dispose()


def test_the_writer_redacts_before_it_stores(tmp_path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
    schema.metadata.create_all(engine)
    writer = CaptureWriter(CaptureStore(engine), interval=0.05)
    writer.put(login({"user": {"password": "hunter2"}}, {"user": {"token": JWT}}), Policy())
    assert writer.flush(5.0)
    writer.close()
    with engine.connect() as connection:
        stored = connection.execute(sa.select(schema.captures.c.record)).scalar_one()
    assert "hunter2" not in stored and JWT not in stored
    decoded = Record.from_json(stored)
    assert b"hunter2" not in decoded.exchange.body and JWT.encode() not in decoded.control.body
    engine.dispose()


def test_replay_re_mints_tokens_and_maps_values_each_side_makes() -> None:
    """A captured register then an authenticated write then a read: the fresh token is sent,
    the fresh comment id is used in the path, and both compare as the captured values."""
    token = pseudonym(JWT)
    register = Captured(1, datetime.now(UTC), Record(
        Exchange(route="POST /api/users", method="POST", path="/api/users",
                 target="/api/users", body=b'{"user":{"password":"[REDACTED]"}}'),
        Observation(201, [], json.dumps({"user": {"token": token}}).encode())))
    comment = Captured(2, datetime.now(UTC), Record(
        Exchange(route="POST /c", method="POST", path="/c", target="/c",
                 headers=(("Authorization", f"Token {token}"),)),
        Observation(200, [], b'{"comment":{"id":12,"body":"hi"}}')))
    delete = Captured(3, datetime.now(UTC), Record(
        Exchange(route="DELETE /c/:id", method="DELETE", path="/c/12", target="/c/12",
                 headers=(("Authorization", f"Token {token}"),)),
        Observation(200, [], b'{"deleted":12}')))
    stranger = Captured(4, datetime.now(UTC), Record(
        Exchange(route="GET /u", method="GET", path="/u", target="/u",
                 headers=(("Authorization", f"Token {pseudonym('other')}"),)),
        Observation(200, [], b"{}")))
    sent = []

    def candidate(exchange: Exchange) -> Observation:
        sent.append(exchange)
        if exchange.route == "POST /api/users":
            return Observation(201, [], b'{"user":{"token":"fresh.jwt.value"}}')
        if exchange.route == "POST /c":
            return Observation(200, [], b'{"comment":{"id":5,"body":"hi"}}')
        return Observation(200, [], b'{"deleted":5}' if exchange.path == "/c/5" else b"{}")

    rules = {"POST /c": Rules.from_settings({}, {"ignore": ["body.comment.id"]})}
    report = replay([register, comment, delete, stranger], candidate,
                    lambda route: rules.get(route, Rules.from_settings({}, {})))
    assert [r.outcome for r in report.replayed] == ["match", "match", "mismatch", "skipped"]
    assert dict(sent[1].headers)["Authorization"] == "Token fresh.jwt.value"
    assert sent[2].target == "/c/5"  # the captured id 12 was sent as the fresh 5
    # the body's own number is not mapped (only the field the rules ignore is): a real diff
    assert report.replayed[2].result.differences[0].path == "body.deleted"
    assert "not minted" in report.replayed[3].skipped
    assert not report.passed and report.total.parity == pytest.approx(200 / 3)


def test_tokens_show_fresh_values_as_the_captured_ones() -> None:
    tokens = Tokens()
    rules = Rules.from_settings({}, {"ignore": ["body.article.createdAt"]})
    tokens.learn(Observation(201, [], b'{"article":{"createdAt":"old"}}'),
                 Observation(201, [], b'{"article":{"createdAt":"new"}}'), rules)
    shown = tokens.disguise(Observation(200, [], b'{"articles":[{"createdAt":"new"}]}'))
    assert json.loads(shown.body) == {"articles": [{"createdAt": "old"}]}


def test_mismatches_group_by_route_paths_and_kinds() -> None:
    def result(*differences: Difference) -> Result:
        return Result(Outcome.MISMATCH, differences=differences)

    count = Difference("body.articles[0].favoritesCount", Kind.TYPE_CHANGED, "0", '"0"')
    other = Difference("body.articles[3].favoritesCount", Kind.TYPE_CHANGED, "1", '"1"')
    title = Difference("body.article.title", Kind.CHANGED, '"a"', '"b"')
    now = datetime.now(UTC)
    groups = group_results([
        ("GET /a", result(count), now, "r1"), ("GET /a", result(other), now, "r2"),
        ("GET /a", result(title), now, "r3"), ("GET /a", Result(Outcome.MATCH), now, "r4")])
    assert [(g.route, g.paths, g.kinds, g.count, g.samples) for g in groups] == [
        ("GET /a", ("body.articles[*].favoritesCount",), ("type_changed",), 2, ["r1", "r2"]),
        ("GET /a", ("body.article.title",), ("changed",), 1, ["r3"])]


def test_a_headers_path_redacts_that_header_on_both_sides() -> None:
    record = login({"user": {}}, {"user": {}}, headers=(("X-Forwarded-For", "203.0.113.9"),))
    paths = Policy.from_settings({"redact": ["headers.x-forwarded-for", "headers.set-cookie"]})
    clean = redact_record(record, paths.redact)
    assert dict(clean.exchange.headers)["X-Forwarded-For"] == "[REDACTED]"
    assert dict(clean.control.headers)["Set-Cookie"] == "[REDACTED]"


def test_a_failing_store_is_counted_and_reported_until_a_write_succeeds(tmp_path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")  # no tables yet
    writer = CaptureWriter(CaptureStore(engine), interval=0.05)
    record = login({"user": {}}, {"user": {}})
    writer.put(record, Policy())
    assert writer.flush(5.0)
    assert (writer.failing, writer.failed) == (True, 1)
    schema.metadata.create_all(engine)
    writer.put(record, Policy())
    assert writer.flush(5.0)
    assert (writer.failing, writer.failed) == (False, 1)
    writer.close()
    engine.dispose()
