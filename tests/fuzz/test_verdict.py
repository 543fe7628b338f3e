"""The fuzzer's comparison: which differences it forgives, which it reports, and as what."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.comparative.exchange import Reply
from tests.fuzz import tables
from tests.fuzz.verdict import judge
from tests.fuzz.wire import RawRequest, parse_reply

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 1, 0, 0, 0, 1000, tzinfo=UTC)
HASH_A = "$2b$10$" + "a" * 53
HASH_B = "$2a$10$" + "b" * 53


def snapshot(users: list[tuple]) -> tables.Rows:
    rows: tables.Rows = {table: [] for table in tables.TABLES}
    rows["users"] = users
    return rows


def user(password_hash: str, created: datetime, updated: datetime, bio: str | None = None):
    return (1, "ann", "ann@example.com", password_hash, bio, None, created, updated)


def test_clock_and_salt_values_are_not_differences() -> None:
    before = snapshot([]), snapshot([])
    after = snapshot([user(HASH_A, T0, T0)]), snapshot([user(HASH_B, T1, T1)])
    assert tables.compare(before, after) == []


def test_two_instants_on_one_side_are_a_difference() -> None:
    before = snapshot([]), snapshot([])
    after = snapshot([user(HASH_A, T0, T0)]), snapshot([user(HASH_B, T0, T1)])
    assert [d.table for d in tables.compare(before, after)] == ["users"]


def test_a_hash_or_timestamp_changed_on_one_side_only_is_a_difference() -> None:
    before = snapshot([user(HASH_A, T0, T0)]), snapshot([user(HASH_A, T0, T0)])
    after = snapshot([user(HASH_B, T0, T0)]), snapshot([user(HASH_A, T0, T0)])
    assert len(tables.compare(before, after)) == 1
    after = snapshot([user(HASH_A, T0, T1, "x")]), snapshot([user(HASH_A, T0, T0, "x")])
    assert len(tables.compare(before, after)) == 1


def reply(status: int, body: bytes, **headers: str) -> Reply:
    return Reply(status, {k.replace("_", "-"): v for k, v in headers.items()}, body, "x")


def test_replies_from_the_http_servers_compare_by_status_only() -> None:
    request = RawRequest("FOO", "/api/tags", shapes=frozenset({"server-layer"}))
    node = reply(400, b"")
    gunicorn = reply(400, b"<html>", content_type="text/html")
    assert judge("server-layer", request, node, gunicorn, []) is None
    served = reply(404, b"page", x_powered_by="Express", content_type="text/html")
    difference = judge("server-layer", request, node, served, [])
    assert difference is not None and difference.documented
    assert difference.cause == "HTTP server layer"


def test_application_differences_are_named_after_the_request() -> None:
    express = {"x_powered_by": "Express", "content_type": "application/json; charset=utf-8"}
    request = RawRequest("GET", "/api/articles?offset=1&offset=2&limit=0")
    difference = judge("queries", request, reply(422, b"{}", **express),
                       reply(422, b"{ }", **express), [])
    assert difference is not None and not difference.documented
    assert difference.cause == "repeated query parameters"
    fragment = RawRequest("POST", "/api/profiles/bob/follow#")
    assert judge("targets", fragment, reply(200, b"{}", **express),
                 reply(404, b"{}", **express), []).cause == "fragment in the request target"


def test_replies_are_parsed_from_the_wire() -> None:
    raw = (b"HTTP/1.1 422 Unprocessable Entity\r\nX-Powered-By: Express\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n3\r\n{}\n\r\n0\r\n\r\n")
    parsed = parse_reply(raw, head_only=False)
    assert (parsed.status, parsed.reason, parsed.body) == (422, "Unprocessable Entity", b"{}\n")
    assert parse_reply(b"", head_only=False).status == 0


def test_an_application_error_is_reported_even_when_both_sides_agree() -> None:
    failing = reply(500, b'{"errors":{"server":["internal error"]}}', x_powered_by="Express")
    difference = judge("openapi", RawRequest("GET", "/api/tags"), failing, failing, [])
    assert difference is not None and difference.cause == "application error or no reply"
    silent = judge("openapi", RawRequest("GET", "/api/tags"), reply(0, b""), reply(0, b""), [])
    assert silent is not None and not silent.documented
