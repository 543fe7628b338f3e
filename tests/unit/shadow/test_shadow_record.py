"""The recorded exchange: one versioned JSON form, read back exactly, bad input refused."""

from __future__ import annotations

import json

import pytest

from shadow.exchange import Exchange
from shadow.observation import Observation
from shadow.record import Record, RecordError

EXCHANGE = Exchange(
    route="POST /api/articles/:slug/comments", method="POST", request_id="r-1",
    path="/api/articles/a/comments", target="/api/articles/a/comments?x=%C3%A9",
    headers=(("Authorization", "Token t"), ("Accept", "a"), ("Accept", "b")),
    environ=(("REMOTE_ADDR", "127.0.0.1"), ("wsgi.multithread", True), ("SERVER_PORT", 80)),
    control_side="legacy", started=1700000000.25, body=b"\x00\xff{\"comment\":1}",
    resources=("/api/articles/a",), write=7)
CONTROL = Observation(status=201, headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
                      body="é".encode(), duration=0.0125, reason="Created")


def test_round_trip_keeps_every_field():
    record = Record(EXCHANGE, CONTROL, table_version="abc")
    back = Record.from_json(record.to_json())
    assert back.exchange == EXCHANGE
    assert back.table_version == "abc"
    assert back.control is not None
    assert (back.control.status, tuple(back.control.headers), back.control.body,
            back.control.duration) == (201, (("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")),
                                       "é".encode(), 0.0125)
    assert back.control.reason == "Created"


def test_failed_control_keeps_its_exception_class_name():
    back = Record.from_json(Record(EXCHANGE, Observation.failed(TimeoutError("x"), 5.0)).to_json())
    assert back.control is not None and type(back.control.exception).__name__ == "ControlFailed"
    assert str(back.control.exception) == "TimeoutError" and back.control.duration == 5.0


def test_no_body_and_no_control_stay_none():
    back = Record.from_json(Record(Exchange(route="GET /x", method="GET")).to_json())
    assert back.exchange.body is None and back.control is None


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.update(v=2), "v: version 2"),
    (lambda d: d["exchange"].pop("route"), "exchange.route: missing"),
    (lambda d: d["exchange"].update(write=True), "exchange.write: wrong type bool"),
    (lambda d: d["exchange"].update(started="now"), "exchange.started: wrong type str"),
    (lambda d: d["exchange"].update(body="***"), "exchange.body: not base64"),
    (lambda d: d["exchange"].update(headers=[["a"]]), "exchange.headers: each item"),
    (lambda d: d["exchange"].update(control_side="nginx"), "exchange.control_side"),
    (lambda d: d["control"].update(status="201"), "control.status: wrong type str"),
    (lambda d: d["control"].update(reason=422), "control.reason: wrong type int"),
])
def test_bad_documents_are_refused_naming_the_field(mutate, message):
    doc = Record(EXCHANGE, CONTROL).to_dict()
    mutate(doc)
    with pytest.raises(RecordError, match=message.replace(".", r"\.")):
        Record.from_dict(json.loads(json.dumps(doc)))


def test_not_json_is_refused():
    with pytest.raises(RecordError, match="not JSON"):
        Record.from_json(b"\xff")


def test_a_record_without_a_reason_reads_as_not_known():
    doc = Record(EXCHANGE, CONTROL).to_dict()
    del doc["control"]["reason"]
    back = Record.from_dict(doc)
    assert back.control is not None and back.control.reason is None
