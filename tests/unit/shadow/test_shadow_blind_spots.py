"""No blind spots in bodies: exact decimal numbers, repeated keys, non-finite numbers, empty
bodies and Content-Encoding (issue 12)."""

from __future__ import annotations

import gzip
import json
import zlib

import brotli
import pytest

from shadow.compare import compare
from shadow.document import canonical, parse_json, shown
from shadow.observation import Kind, Observation, Outcome
from shadow.rules import Rules

JSON = {"Content-Type": "application/json; charset=utf-8"}


def raw(body: bytes, **headers: str) -> Observation:
    return Observation(200, JSON | {k.replace("_", "-"): v for k, v in headers.items()}, body)


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        ("1.0000000000000001", "1", False),
        ("9007199254740992", "9007199254740993.0", False),
        ("9007199254740993", "9007199254740993.0", True),
        ("0.1", "0.1000000000000000055511151231257827021181583404541015625", False),
        ("[1e-400]", "[0]", False),
        ("2.50", "2.5", True),
        ("1E2", "100.0", True),
        ("123456789012345678901234567890.5", "123456789012345678901234567890.50", True),
        ("123456789012345678901234567890.5", "123456789012345678901234567890.6", False),
    ],
)
def test_numbers_compare_as_exact_decimals(left: str, right: str, equal: bool) -> None:
    assert (parse_json(left) == parse_json(right)) is equal
    assert (parse_json(right) == parse_json(left)) is equal


@pytest.mark.parametrize(
    ("control", "candidate"),
    [
        (b'{"n": 1.0000000000000001}', b'{"n": 1}'),
        (b'{"n": 9007199254740992}', b'{"n": 9007199254740993.0}'),
    ],
)
def test_numbers_a_float_cannot_tell_apart_are_a_difference(control, candidate) -> None:
    result = compare(raw(control), raw(candidate))
    assert [(d.path, d.kind) for d in result.differences] == [("body.n", Kind.CHANGED)]
    assert result.differences[0].control == control.decode()[6:-1]


def test_the_same_number_written_as_a_fraction_matches() -> None:
    assert compare(raw(b'{"n": 9007199254740993}'), raw(b'{"n": 9007199254740993.0}')).matched


def test_a_repeated_key_is_a_difference_at_that_key() -> None:
    result = compare(raw(b'{"a": 2}'), raw(b'{"a": 1, "a": 2}'))
    assert [(d.path, d.control, d.candidate) for d in result.differences] == [
        ("body.a", "2", "<duplicate key: 1, 2>")
    ]
    assert canonical(parse_json('{"a": 1, "a": 2}')) == '{"a":1,"a":2}'


def test_the_same_repeated_key_on_both_sides_matches() -> None:
    assert compare(raw(b'{"a": 1, "a": 2}'), raw(b'{"a":1,"a":2}')).matched


@pytest.mark.parametrize(
    ("control", "candidate"),
    [
        ("Infinity", "1e400"),
        ("NaN", "Infinity"),
        ("1e400", "NaN"),
        ("1e400", "1.7976931348623157e308"),
        ("-Infinity", "-1e400"),
    ],
)
def test_non_finite_numbers_are_not_equal_to_each_other(control: str, candidate: str) -> None:
    result = compare(raw(f'{{"n": {control}}}'.encode()), raw(f'{{"n": {candidate}}}'.encode()))
    assert result.paths == ["body.n"]
    flagged = [
        v
        for v in (result.differences[0].control, result.differences[0].candidate)
        if "not a finite JSON number" in v
    ]
    assert flagged  # the non-finite side says what is wrong with it


def test_a_stored_non_finite_number_reads_back_as_json() -> None:
    text = canonical(parse_json('{"a": Infinity, "b": [NaN, 1e400]}'))
    assert text == '{"a":Infinity,"b":[NaN,1e400]}'
    assert json.loads(text)["a"] == float("inf")
    assert shown(parse_json("Infinity")) == "Infinity (not a finite JSON number)"


def test_an_empty_body_differs_from_the_json_empty_string() -> None:
    result = compare(raw(b""), raw(b'""'))
    assert [(d.path, d.control, d.candidate) for d in result.differences] == [
        ("body", "<empty body>", '""')
    ]


def test_two_empty_bodies_match() -> None:
    assert compare(Observation(204, {}, b""), Observation(204, {}, b"")).matched


BODY = json.dumps({"articles": [{"slug": f"a-{n}", "body": "text " * 20} for n in range(20)]})


def test_the_same_json_gzipped_at_two_levels_is_equal() -> None:
    fast, best = gzip.compress(BODY.encode(), 1), gzip.compress(BODY.encode(), 9)
    assert fast != best
    result = compare(raw(fast, content_encoding="gzip"), raw(best, content_encoding="gzip"))
    assert result.matched, result.differences


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
        ("identity", lambda data: data),
    ],
)
def test_bodies_are_compared_after_decoding(encoding, encode) -> None:
    plain = raw(BODY.encode())
    assert compare(plain, raw(encode(BODY.encode()), content_encoding=encoding)).matched
    changed = BODY.replace("a-3", "a-three").encode()
    result = compare(plain, raw(encode(changed), content_encoding=encoding))
    assert result.paths == ["body.articles[3].slug"]


def test_a_gzip_header_on_a_plain_body_is_a_difference() -> None:
    result = compare(raw(BODY.encode()), raw(BODY.encode(), content_encoding="gzip"))
    assert result.outcome is Outcome.MISMATCH
    assert result.paths == ["body"]
    assert "not gzip data" in result.differences[0].candidate


def test_an_unknown_encoding_is_a_difference() -> None:
    result = compare(raw(BODY.encode()), raw(BODY.encode(), content_encoding="zstd"))
    assert result.paths == ["body"]
    assert "unknown encoding zstd" in result.differences[0].candidate


def test_a_compressed_body_is_decoded_only_up_to_the_size_cap() -> None:
    bomb = gzip.compress(b"[" + b"0," * 1_000_000 + b"0]")
    rules = Rules(max_body_bytes=10_000)
    result = compare(raw(b"[0]"), raw(bomb, content_encoding="gzip"), rules)
    assert result.paths == ["body"]
    assert "over 10000 bytes decoded" in result.differences[0].candidate
