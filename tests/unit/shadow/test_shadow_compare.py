"""Compare: seeded differences are each reported as a mismatch at the right field path."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable

import pytest

from shadow.compare import compare
from shadow.observation import EscapedWrite, Kind, Observation, Outcome, WroteDuringRead
from shadow.paths import FieldPath
from shadow.rules import Rules

ARTICLES = {
    "articles": [
        {
            "slug": f"article-{n}",
            "title": f"Article {n}",
            "tagList": ["dragons", "training"],
            "createdAt": "2026-11-26T04:00:00.000Z",
            "updatedAt": "2026-11-26T04:00:00.000Z",
            "favorited": False,
            "favoritesCount": n,
            "author": {"username": f"user{n}", "bio": None, "image": "", "following": False},
        }
        for n in range(4)
    ],
    "articlesCount": 4,
}
ERROR = {"errors": {"body": ["article not found"]}}


def mutated(change: Callable[[dict], None]) -> dict:
    data = copy.deepcopy(ARTICLES)
    change(data)
    return data


def test_express_and_flask_noise_still_matches(observe) -> None:
    reordered = {"articlesCount": 4.0, "articles": ARTICLES["articles"]}
    result = compare(observe(ARTICLES), observe(reordered, side="flask"))
    assert result.outcome is Outcome.MATCH
    assert result.differences == ()


SEEDED = [
    pytest.param(
        {"status": 201}, ARTICLES, "status", Kind.CHANGED, "200", "201", id="wrong status"
    ),
    pytest.param(
        {},
        mutated(lambda d: d["articles"][2]["author"].pop("following")),
        "body.articles[2].author.following",
        Kind.MISSING_IN_CANDIDATE,
        "false",
        None,
        id="missing field",
    ),
    pytest.param(
        {},
        mutated(lambda d: d["articles"][0].update(body="text")),
        "body.articles[0].body",
        Kind.EXTRA_IN_CANDIDATE,
        None,
        '"text"',
        id="extra field",
    ),
    pytest.param(
        {},
        mutated(lambda d: d["articles"][1]["author"].update(bio="")),
        "body.articles[1].author.bio",
        Kind.TYPE_CHANGED,
        "null",
        '""',
        id="null vs empty string",
    ),
    pytest.param(
        {},
        mutated(lambda d: d["articles"].reverse()),
        "body.articles",
        Kind.ORDER_CHANGED,
        ...,
        ...,
        id="wrong list order",
    ),
    pytest.param(
        {},
        mutated(lambda d: d["articles"].pop()),
        "body.articles[3]",
        Kind.MISSING_IN_CANDIDATE,
        ...,
        None,
        id="wrong list length",
    ),
    pytest.param(
        {"headers": {"Content-Type": "text/html; charset=utf-8"}},
        ARTICLES,
        "headers.content-type",
        Kind.CHANGED,
        '"application/json;charset=utf-8"',
        '"text/html;charset=utf-8"',
        id="wrong content-type",
    ),
    pytest.param(
        {},
        mutated(lambda d: d["articles"][3].update(favorited=0)),
        "body.articles[3].favorited",
        Kind.TYPE_CHANGED,
        "false",
        "0",
        id="false vs 0",
    ),
    pytest.param(
        {},
        mutated(lambda d: d.update(articlesCount="4")),
        "body.articlesCount",
        Kind.TYPE_CHANGED,
        "4",
        '"4"',
        id="number vs string",
    ),
]


@pytest.mark.parametrize(
    ("candidate_options", "candidate_body", "path", "kind", "control", "candidate"), SEEDED
)
def test_seeded_difference_is_located(
    observe, candidate_options, candidate_body, path, kind, control, candidate
) -> None:
    result = compare(observe(ARTICLES), observe(candidate_body, **candidate_options))
    assert result.outcome is Outcome.MISMATCH
    found = {d.path: d for d in result.differences}
    assert path in found, result.paths
    assert found[path].kind is kind
    if control is not ...:
        assert found[path].control == control
    if candidate is not ...:
        assert found[path].candidate == candidate


def test_order_change_is_one_difference_not_one_per_element(observe) -> None:
    result = compare(observe(ARTICLES), observe(mutated(lambda d: d["articles"].reverse())))
    assert result.paths == ["body.articles"]


def test_wrong_count_reports_the_count_and_the_missing_element(observe) -> None:
    def drop_one(data: dict) -> None:
        data["articles"].pop()
        data["articlesCount"] = 3

    result = compare(observe(ARTICLES), observe(mutated(drop_one)))
    assert result.paths == ["body.articles[3]", "body.articlesCount"]


def test_different_error_message(observe) -> None:
    other = {"errors": {"body": ["Article not found"]}}
    result = compare(observe(ERROR, status=404), observe(other, status=404))
    assert [(d.path, d.control, d.candidate) for d in result.differences] == [
        ("body.errors.body[0]", '"article not found"', '"Article not found"')
    ]


def test_text_bodies_are_compared_as_text(observe) -> None:
    html = {"Content-Type": "text/html; charset=utf-8"}
    result = compare(
        observe(raw=b"<pre>Cannot GET /x</pre>", status=404, headers=html),
        observe(raw=b"<h1>Not Found</h1>", status=404, headers=html),
    )
    assert result.differences[0].path == "body"
    assert result.differences[0].control == '"<pre>Cannot GET /x</pre>"'


@pytest.mark.parametrize(
    "ignore",
    [
        ["body.articles[*].updatedAt"],
        ["body..updatedAt"],
        ["body.articles[2].updatedAt"],
        ["body.articles[2]"],
    ],
)
def test_ignored_fields_do_not_count(observe, ignore: list[str]) -> None:
    candidate = mutated(lambda d: d["articles"][2].update(updatedAt="2026-11-27T05:06:07.089Z"))
    assert compare(observe(ARTICLES), observe(candidate)).mismatched
    assert compare(observe(ARTICLES), observe(candidate), Rules().extended(ignore=ignore)).matched


def test_ignoring_one_index_leaves_the_others_compared(observe) -> None:
    candidate = mutated(lambda d: d["articles"][1].update(updatedAt="2026-11-27T05:06:07.089Z"))
    rules = Rules().extended(ignore=["body.articles[2].updatedAt"])
    assert compare(observe(ARTICLES), observe(candidate), rules).paths == [
        "body.articles[1].updatedAt"
    ]


def test_difference_paths_work_as_ignore_rules(observe) -> None:
    candidate = mutated(lambda d: d["articles"][3]["author"].update(following=True))
    result = compare(observe(ARTICLES), observe(candidate))
    rules = Rules().extended(ignore=[FieldPath.parse(p) for p in result.paths])
    assert compare(observe(ARTICLES), observe(candidate), rules).matched


def test_unordered_lists_declared_by_path(observe) -> None:
    candidate = mutated(lambda d: [a["tagList"].reverse() for a in d["articles"]])
    assert compare(observe(ARTICLES), observe(candidate)).mismatched
    rules = Rules().extended(unordered=["body.articles[*].tagList"])
    assert compare(observe(ARTICLES), observe(candidate), rules).matched


@pytest.mark.parametrize(
    ("exception", "outcome"),
    [
        (ConnectionRefusedError("refused"), Outcome.CANDIDATE_ERROR),
        (ValueError("garbage"), Outcome.CANDIDATE_ERROR),
        (TimeoutError("slow"), Outcome.TIMEOUT),
        (type("ReadTimeout", (Exception,), {})("read"), Outcome.TIMEOUT),
        (EscapedWrite("dry-run committed"), Outcome.ESCAPED_WRITE),
        (WroteDuringRead("candidate wrote during a read"), Outcome.CANDIDATE_ERROR),
    ],
)
def test_candidate_failure_is_recorded_without_comparison(observe, exception, outcome) -> None:
    result = compare(observe(ARTICLES), Observation.failed(exception))
    assert result.outcome is outcome
    assert result.differences == ()
    assert str(exception) in result.reason


def test_control_failure_is_ignored(observe) -> None:
    result = compare(Observation.failed(OSError("legacy down")), observe(ARTICLES))
    assert result.outcome is Outcome.IGNORED
    assert "legacy down" in result.reason


def test_both_server_errors_are_excused_unless_the_route_says_otherwise(observe) -> None:
    control, candidate = observe(raw=b"Internal", status=500), observe(ERROR, status=503)
    assert compare(control, candidate).outcome is Outcome.IGNORED
    strict = Rules(excuse_server_errors=False)
    assert compare(control, candidate, strict).outcome is Outcome.MISMATCH


def test_one_server_error_is_a_mismatch(observe) -> None:
    assert compare(observe(ARTICLES), observe(ERROR, status=500)).mismatched


def test_differences_are_capped(observe) -> None:
    candidate = {"articles": [{"x": n} for n in range(40)], "articlesCount": 40}
    result = compare(observe(ARTICLES), observe(candidate), Rules(max_differences=5))
    assert result.outcome is Outcome.MISMATCH
    assert len(result.differences) == 5
    assert result.truncated


def test_long_values_are_truncated(observe) -> None:
    result = compare(observe({"bio": "a" * 1000}), observe({"bio": "b" * 1000}))
    assert len(result.differences[0].control) == Rules().value_chars


def test_bodies_over_the_size_cap_compare_by_digest(observe) -> None:
    rules = Rules(max_body_bytes=100)
    big = {"articles": ["x" * 200]}
    assert compare(observe(big), observe(big), rules).matched
    result = compare(observe(big), observe({"articles": ["y" * 200]}), rules)
    assert result.paths == ["body"]
    assert json.loads(result.differences[0].control).startswith("<")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["articles"].pop(1), [("body.articles[1]", Kind.MISSING_IN_CANDIDATE)]),
        (
            lambda d: d["articles"].insert(0, {"slug": "new"}),
            [("body.articles[0]", Kind.EXTRA_IN_CANDIDATE)],
        ),
    ],
)
def test_lists_of_different_length_are_aligned(observe, change, expected) -> None:
    result = compare(observe(ARTICLES), observe(mutated(change)))
    assert [(d.path, d.kind) for d in result.differences] == expected


def test_a_block_replaced_by_fewer_elements_is_left_to_deepdiff(observe) -> None:
    def squash(data: dict) -> None:
        data["articles"][1:3] = [{"slug": "article-1", "title": "Merged"}]

    result = compare(observe(ARTICLES), observe(mutated(squash)))
    assert result.mismatched
    assert all(p.startswith(("body.articles[1]", "body.articles[2]")) for p in result.paths)
    assert "body.articles[1].title" in result.paths
    assert ("body.articles[2]", Kind.MISSING_IN_CANDIDATE) in [
        (d.path, d.kind) for d in result.differences
    ]


def test_reason_phrases_are_compared_unless_switched_off(observe) -> None:
    """Werkzeug's ``422 UNPROCESSABLE ENTITY`` against Node's ``422 Unprocessable Entity``:
    a mismatch at ``reason`` even with equal bodies, unless ``compare_reason: false``."""
    control = dataclasses.replace(observe(ERROR, status=422), reason="Unprocessable Entity")
    candidate = dataclasses.replace(observe(ERROR, status=422), reason="UNPROCESSABLE ENTITY")
    result = compare(control, candidate)
    assert result.outcome is Outcome.MISMATCH
    assert [(d.path, d.kind, d.control, d.candidate) for d in result.differences] == [
        ("reason", Kind.CHANGED, "Unprocessable Entity", "UNPROCESSABLE ENTITY")]
    assert compare(control, candidate, Rules(compare_reason=False)).matched
    assert Rules.from_settings({"compare_reason": False}, {}).compare_reason is False
    assert Rules.from_settings({"compare_reason": False},
                               {"compare_reason": True}).compare_reason is True
    # Listed with the body's own differences, first.
    body_too = compare(control, dataclasses.replace(candidate, body=b'{"errors":{}}'))
    assert [d.path for d in body_too.differences][0] == "reason"
    assert len(body_too.differences) > 1
    # Equal, or unknown on one side (a stored record replayed): nothing to report.
    assert compare(control, dataclasses.replace(candidate, reason="Unprocessable Entity")).matched
    assert compare(control, dataclasses.replace(candidate, reason=None)).matched
    # Another status: reported at ``status`` alone.
    created = dataclasses.replace(observe(ERROR, status=201), reason="Created")
    assert [d.path for d in compare(control, created).differences] == ["status"]
