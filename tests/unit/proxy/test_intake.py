"""The Intake: when a request's bytes are whole, when they never will be, what is handed over."""

from __future__ import annotations

import pytest

from proxy.intake import Intake, IntakeLimits, Verdict

LIMITS = IntakeLimits(header_timeout=5.0, body_timeout=10.0, max_head=1024, max_body=100)
HEAD = b"POST /api/x HTTP/1.1\r\nHost: h\r\n"


def fed(*parts: bytes, limits: IntakeLimits = LIMITS) -> tuple[Intake, list[Verdict]]:
    intake = Intake(limits)
    verdicts = [intake.begin(b"", 0.0)]
    verdicts += [intake.feed(part, 1.0) for part in parts]
    return intake, verdicts


def test_a_request_arriving_byte_by_byte_is_ready_when_its_body_is_whole() -> None:
    request = HEAD + b"Content-Length: 5\r\n\r\nhello"
    intake, verdicts = fed(*[request[i:i + 1] for i in range(len(request))])
    assert verdicts[-1] is Verdict.READY
    assert set(verdicts[:-1]) == {Verdict.MORE}
    assert intake.whole
    assert intake.recv(1000) == request and intake.recv(10) == b""  # then EOF


def test_the_deadline_moves_from_the_head_to_the_body() -> None:
    intake = Intake(LIMITS)
    intake.begin(b"", 100.0)
    assert intake.deadline == 105.0
    intake.feed(HEAD + b"Content-Length: 5\r\n\r\nhe", 101.0)
    assert intake.deadline == 111.0 and intake.in_body


def test_a_request_without_a_body_is_ready_at_the_end_of_its_head() -> None:
    _, verdicts = fed(b"GET / HTTP/1.1\r\nHost: h\r\n", b"\r\n")
    assert verdicts[-2:] == [Verdict.MORE, Verdict.READY]


def test_leading_empty_lines_are_not_a_head() -> None:
    _, verdicts = fed(b"\r\n\r\n\r\n", b"GET / HTTP/1.1\r\n\r\n")
    assert verdicts[-2:] == [Verdict.MORE, Verdict.READY]


@pytest.mark.parametrize("body", [
    b"5\r\nhello\r\n0\r\n\r\n",
    b"5;ext=1\r\nhello\r\n3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n",
])
def test_a_chunked_body_is_whole_after_its_last_chunk_and_trailers(body: bytes) -> None:
    request = HEAD + b"Transfer-Encoding: chunked\r\n\r\n" + body
    intake, verdicts = fed(*[request[i:i + 3] for i in range(0, len(request), 3)])
    assert verdicts[-1] is Verdict.READY and Verdict.READY not in verdicts[:-1]
    assert intake.whole


def test_pipelined_requests_are_handed_over_one_at_a_time() -> None:
    first, second = HEAD + b"Content-Length: 2\r\n\r\nok", b"GET /b HTTP/1.1\r\n\r\n"
    intake, verdicts = fed(first + second)
    assert verdicts[-1] is Verdict.READY
    assert intake.recv(len(first)) == first  # what the parser takes of the first request
    assert intake.rest() == second
    assert intake.begin(intake.rest(), 2.0) is Verdict.READY


@pytest.mark.parametrize("framing", [
    b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
    b"Content-Length: 5\r\nContent-Length: 5\r\n",
    b"Content-Length: +5\r\n",
    b"Transfer-Encoding: gzip\r\n",
    b"Transfer-Encoding: chunked, chunked\r\n",
    b"Content-Length : 5\r\n",
    b"Expect: something-else\r\n",
    b"Content-Length: 101\r\n",  # over the body limit: answered from the head (413)
])
def test_framing_the_parser_refuses_is_handed_over_at_once_and_the_connection_closed(
        framing: bytes) -> None:
    intake, verdicts = fed(HEAD + framing + b"\r\nhel")
    assert verdicts[-1] is Verdict.READY
    assert not intake.whole


def test_a_malformed_chunk_is_handed_over_at_once() -> None:
    intake, verdicts = fed(HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX")
    assert (verdicts[-1], intake.whole) == (Verdict.READY, False)


def test_chunks_past_the_body_limit_are_refused() -> None:
    _, verdicts = fed(HEAD + b"Transfer-Encoding: chunked\r\n\r\n40\r\n" + b"x" * 64 + b"\r\n",
                      b"40\r\n")
    assert verdicts[-2:] == [Verdict.MORE, Verdict.BODY_TOO_LARGE]


def test_a_head_over_the_limit_is_too_large() -> None:
    _, verdicts = fed(b"GET / HTTP/1.1\r\nX-Big: " + b"x" * 2000)
    assert verdicts[-1] is Verdict.TOO_LARGE


def test_eof_before_the_head_is_gone_and_eof_in_the_body_is_handed_over_short() -> None:
    _, verdicts = fed(b"GET / HTTP/1.1\r\nHo", b"")
    assert verdicts[-1] is Verdict.GONE
    intake, verdicts = fed(HEAD + b"Content-Length: 50\r\n\r\nhalf", b"")
    assert verdicts[-1] is Verdict.READY
    assert not intake.whole  # the application reads a short body (its 400), then close


def test_expect_100_continue_is_noticed_on_http_1_1_only() -> None:
    intake, _ = fed(HEAD + b"Expect: 100-continue\r\nContent-Length: 5\r\n\r\n")
    assert intake.expects_continue
    old, _ = fed(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
    assert not old.expects_continue


def test_settings_come_from_the_environment_and_bad_ones_name_themselves() -> None:
    limits = IntakeLimits.from_environ({"PROXY_CLIENT_HEADER_TIMEOUT": "2.5",
                                        "PROXY_MAX_PENDING_CONNECTIONS": "10"})
    assert (limits.header_timeout, limits.max_pending, limits.body_timeout) == (2.5, 10, 10.0)
    with pytest.raises(ValueError, match="PROXY_CLIENT_BODY_TIMEOUT must be a positive number, "
                                         "got 'soon'"):
        IntakeLimits.from_environ({"PROXY_CLIENT_BODY_TIMEOUT": "soon"})
