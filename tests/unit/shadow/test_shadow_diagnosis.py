"""Diagnosis a person can act on: lists aligned by identity, secrets redacted but not error
messages, invisible string differences shown as code points (issue 12)."""

from __future__ import annotations

import json
import unicodedata

import pytest

from shadow.compare import compare
from shadow.observation import Difference, Kind, Observation
from shadow.redact import REDACTED, redact, redact_difference

JSON = {"Content-Type": "application/json; charset=utf-8"}


def answer(data: object, status: int = 200) -> Observation:
    return Observation(status, JSON, json.dumps(data).encode())


def article(n: int) -> dict:
    return {"slug": f"article-{n}", "title": f"Article {n}", "favoritesCount": n,
            "author": {"username": f"user{n}", "following": False}}  # fmt: skip


def comment(n: int) -> dict:
    return {"id": n, "body": f"comment {n}", "author": {"username": "jake"}}


def profile(n: int) -> dict:
    return {"username": f"user{n}", "bio": None, "following": n % 2 == 0}


@pytest.mark.parametrize(("field", "make"), [("articles", article), ("comments", comment),
                                             ("profiles", profile)])  # fmt: skip
def test_a_page_shifted_by_one_is_one_removal_and_one_insertion(field, make) -> None:
    control = {field: [make(n) for n in range(20)]}
    candidate = {field: [make(n) for n in range(1, 21)]}
    result = compare(answer(control), answer(candidate))
    assert [(d.path, d.kind) for d in result.differences] == [
        (f"body.{field}[0]", Kind.MISSING_IN_CANDIDATE),
        (f"body.{field}[19]", Kind.EXTRA_IN_CANDIDATE),
    ]


def test_a_shifted_page_with_a_changed_element_shows_the_change_at_the_control_index() -> None:
    control = {"articles": [article(n) for n in range(10)]}
    shifted = [article(n) for n in range(1, 11)]
    shifted[4]["favoritesCount"] = 99  # article-5, at index 5 in the control
    result = compare(answer(control), answer({"articles": shifted}))
    assert [(d.path, d.kind) for d in result.differences] == [
        ("body.articles[0]", Kind.MISSING_IN_CANDIDATE),
        ("body.articles[5].favoritesCount", Kind.CHANGED),
        ("body.articles[9]", Kind.EXTRA_IN_CANDIDATE),
    ]


def test_the_same_elements_in_another_order_with_a_change_inside() -> None:
    control = {"articles": [article(n) for n in range(4)]}
    swapped = [article(1), article(0), article(2), article(3)]
    swapped[2]["title"] = "Changed"
    result = compare(answer(control), answer({"articles": swapped}))
    assert [(d.path, d.kind) for d in result.differences] == [
        ("body.articles", Kind.ORDER_CHANGED),
        ("body.articles[2].title", Kind.CHANGED),
    ]
    assert result.differences[0].control == '["article-0","article-1","article-2","article-3"]'


def test_identities_with_nothing_in_common_fall_back_to_position() -> None:
    control = {"articles": [article(n) for n in range(3)]}
    renamed = [dict(article(n), slug=f"Article-{n}") for n in range(3)]
    result = compare(answer(control), answer({"articles": renamed}))
    assert result.paths == [f"body.articles[{n}].slug" for n in range(3)]


MESSAGES = [
    ({"errors": {"email or password": ["is invalid"]}},
     {"errors": {"email or password": ["is wrong"]}}, 'body.errors["email or password"][0]'),
    ({"errors": {"password": ["can't be blank"]}},
     {"errors": {"password": ["is required"]}}, "body.errors.password[0]"),
    ({"errors": {"token": ["is missing"]}},
     {"errors": {"token": ["has expired"]}}, "body.errors.token[0]"),
]  # fmt: skip


@pytest.mark.parametrize(("control", "candidate", "path"), MESSAGES)
def test_error_messages_are_not_redacted(control, candidate, path) -> None:
    result = compare(answer(control, 422), answer(candidate, 422))
    [difference] = [redact_difference(d) for d in result.differences]
    assert difference.path == path
    assert REDACTED not in (difference.control, difference.candidate)
    assert difference.control != difference.candidate
    assert redact(control) == control  # the stored body keeps the message as well


def test_an_errors_object_shown_whole_keeps_its_messages() -> None:
    shown = Difference("body.errors", Kind.CHANGED, '{"password":["is too short"]}', None)
    assert redact_difference(shown).control == '{"password":["is too short"]}'


def test_secrets_are_still_redacted() -> None:
    user = {"user": {"email": "a@b.c", "password": "hunter2", "token": "eyJa.eyJb.c"}}
    assert redact(user)["user"] == {"email": "a@b.c", "password": REDACTED, "token": REDACTED}
    diff = redact_difference(Difference("body.user.password", Kind.CHANGED, '"a"', '"b"'))
    assert (diff.control, diff.candidate) == (REDACTED, REDACTED)


def test_a_cookie_difference_is_stored_with_its_names() -> None:
    control = Observation(200, [*JSON.items(), ("Set-Cookie", "sid=secret1; HttpOnly")], b"{}")
    candidate = Observation(200, [*JSON.items(), ("Set-Cookie", "session=secret2")], b"{}")
    [difference] = [redact_difference(d) for d in compare(control, candidate).differences]
    assert (difference.control, difference.candidate) == ('"sid=…; httponly"', '"session=…"')


NFC = unicodedata.normalize("NFC", "Café")
NFD = unicodedata.normalize("NFD", "Café")


@pytest.mark.parametrize(
    ("control", "candidate", "points"),
    [
        (NFD, NFC, ("U+0065 U+0301 at 3", "U+00E9 at 3")),
        ("dragons", "drag\u200bons", ("nothing at 4", "U+200B at 4")),
        ("a b", "a\u00a0b", ("U+0020 at 1", "U+00A0 at 1")),
        ("title", "title ", ("nothing at 5", "U+0020 at 5")),
        ("\ufefftitle", "title", ("U+FEFF at 0", "nothing at 0")),
    ],
    ids=["nfd vs nfc", "zero-width space", "no-break space", "trailing space", "bom"],
)
def test_strings_that_differ_invisibly_show_their_code_points(control, candidate, points):
    result = compare(answer({"title": control}), answer({"title": candidate}))
    [difference] = result.differences
    assert difference.control == f"{json.dumps(control, ensure_ascii=False)} ({points[0]})"
    assert difference.candidate == f"{json.dumps(candidate, ensure_ascii=False)} ({points[1]})"


def test_visible_differences_are_shown_as_they_are() -> None:
    [difference] = compare(answer({"title": "Café"}), answer({"title": "Cafe"})).differences
    assert (difference.control, difference.candidate) == ('"Café"', '"Cafe"')
