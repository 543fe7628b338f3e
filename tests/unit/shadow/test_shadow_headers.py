"""No blind spots in headers: every header is compared unless it is documented noise (issue 12)."""

from __future__ import annotations

import pytest

from shadow.clean import cookie_shape
from shadow.compare import compare
from shadow.observation import Kind, Observation
from shadow.rules import Rules

BODY = b'{"article":{"slug":"a","title":"A"}}'
BASE = [
    ("Content-Type", "application/json; charset=utf-8"),
    ("X-Powered-By", "Express"),
    ("ETag", 'W/"24-abc"'),
]


def answer(*extra: tuple[str, str], body: bytes = BODY, base=BASE) -> Observation:
    return Observation(200, [*base, *extra], body)


def test_per_instance_and_hop_by_hop_headers_are_noise() -> None:
    control = answer(
        ("Date", "Thu, 26 Nov 2026 04:00:00 GMT"),
        ("Connection", "keep-alive"),
        ("Keep-Alive", "timeout=5"),
        ("X-Request-ID", "r1"),
        ("Content-Length", "36"),
    )
    candidate = answer(
        ("Date", "Thu, 26 Nov 2026 04:00:09 GMT"),
        ("Server", "gunicorn"),
        ("Transfer-Encoding", "chunked"),
        ("X-Request-ID", "r2"),
        ("Via", "1.1 p"),
    )
    assert compare(control, candidate).matched


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("X-Frame-Options", "DENY"),
        ("Content-Security-Policy", "default-src 'none'"),
        ("X-Total-Count", "4"),
        ("Retry-After", "5"),
    ],
)
def test_a_header_on_one_side_only_is_a_difference(header: str, value: str) -> None:
    result = compare(answer(), answer((header, value)))
    assert [(d.path, d.kind) for d in result.differences] == [
        (f"headers.{header.lower()}", Kind.EXTRA_IN_CANDIDATE)
    ]


def test_a_missing_x_powered_by_is_a_difference() -> None:
    result = compare(answer(), answer(base=BASE[::2]))
    assert result.paths == ["headers.x-powered-by"]


def test_a_preflight_with_other_allowed_methods_is_a_difference() -> None:
    result = compare(
        answer(("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE"), body=b""),
        answer(("Access-Control-Allow-Methods", "GET, POST"), body=b""),
    )
    assert result.paths == ["headers.access-control-allow-methods"]


COOKIE = "sid=s%3Aabc.def; Path=/; Expires=Thu, 26 Nov 2026 05:00:00 GMT; HttpOnly; SameSite=Lax"


@pytest.mark.parametrize(
    "other",
    [
        "sid=s%3Azzz.yyy; Path=/; Expires=Thu, 26 Nov 2026 05:00:07 GMT; HttpOnly; SameSite=Lax",
        "sid=other; path=/; httponly; expires=Fri, 27 Nov 2026 05:00:00 GMT; samesite=Lax",
    ],
)
def test_cookie_values_and_expiry_times_are_noise(other: str) -> None:
    assert compare(answer(("Set-Cookie", COOKIE)), answer(("Set-Cookie", other))).matched


@pytest.mark.parametrize(
    ("control", "candidate"),
    [
        ([COOKIE], []),
        ([], [COOKIE]),
        ([COOKIE], [COOKIE.replace("sid=", "session=")]),
        ([COOKIE], [COOKIE.replace("; HttpOnly", "")]),
        ([COOKIE], [COOKIE.replace("Path=/", "Path=/api")]),
        ([COOKIE], [COOKIE, "theme=dark"]),
        (["sid=abc; Max-Age=3600"], ["sid=abc; Max-Age=0"]),
        (["sid=abc"], ["sid="]),
    ],
    ids=[
        "control only",
        "candidate only",
        "name",
        "httponly",
        "path",
        "extra cookie",
        "deleted",
        "emptied",
    ],
)
def test_cookie_names_attributes_and_presence_are_differences(control, candidate) -> None:
    result = compare(
        answer(*[("Set-Cookie", c) for c in control]),
        answer(*[("Set-Cookie", c) for c in candidate]),
    )
    assert result.paths == ["headers.set-cookie"]
    shown = f"{result.differences[0].control} {result.differences[0].candidate}"
    assert "abc" not in shown  # the cookie's value is never kept


def test_a_cookie_is_described_without_its_value() -> None:
    assert cookie_shape(COOKIE) == "sid=…; expires; httponly; path=/; samesite=Lax"
    assert cookie_shape("gone=; Max-Age=0") == "gone=; max-age=0"


def test_etags_compare_exactly_when_the_decoded_bodies_are_byte_equal() -> None:
    result = compare(answer(), answer(base=[*BASE[:2], ("ETag", 'W/"24-xyz"')]))
    assert [(d.path, d.control, d.candidate) for d in result.differences] == [
        ("headers.etag", '"W/\\"24-abc\\""', '"W/\\"24-xyz\\""')
    ]


def test_etag_values_of_differently_serialised_equal_json_are_noise() -> None:
    spaced = b'{"article": {"title": "A", "slug": "a"}}'
    other_etag = [*BASE[:2], ("ETag", 'W/"29-xyz"')]
    assert compare(answer(), answer(base=other_etag, body=spaced)).matched


def test_weak_vs_strong_etag_is_a_difference() -> None:
    spaced = b'{"article": {"title": "A", "slug": "a"}}'
    strong = [*BASE[:2], ("ETag", '"29-xyz"')]
    result = compare(answer(), answer(base=strong, body=spaced))
    assert [(d.path, d.control, d.candidate) for d in result.differences] == [
        ("headers.etag", '"weak"', '"strong"')
    ]


def test_an_etag_on_one_side_only_is_a_difference() -> None:
    assert compare(answer(), answer(base=BASE[:2])).paths == ["headers.etag"]


def test_a_rule_can_still_forgive_a_header() -> None:
    rules = Rules().extended(ignore=["any:headers.x-frame-options"])
    assert compare(answer(), answer(("X-Frame-Options", "DENY")), rules).matched


def test_etags_of_empty_bodies_compare_as_weak_or_strong() -> None:
    # HEAD and 304 answers have no body: their ETags describe a representation not compared.
    head = [*BASE[:2], ("ETag", 'W/"29-xyz"')]
    assert compare(answer(body=b""), answer(base=head, body=b"")).matched
    strong = [*BASE[:2], ("ETag", '"29-xyz"')]
    assert compare(answer(body=b""), answer(base=strong, body=b"")).paths == ["headers.etag"]
