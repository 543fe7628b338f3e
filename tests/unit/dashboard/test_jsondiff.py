"""Side-by-side documents mark the lines at or below a differing path."""

from __future__ import annotations

from rollout.dashboard.jsondiff import render, side_by_side


def marked(lines):
    return [(line.path, line.text.strip()) for line in lines if line.differs]


def test_lines_under_a_differing_path_are_marked_and_others_are_not():
    document = {"status": 200, "body": {"user": {"email": "a@x.io", "bio": None,
                                                  "tags": ["a", "b"]}}}
    lines = render(document, ["body.user.tags[1]", "status"])
    assert marked(lines) == [("status", "status: 200"), ("body.user.tags[1]", '"b"')]
    assert [line.path for line in lines if "email" in line.text] == ["body.user.email"]


def test_a_differing_object_marks_all_its_lines():
    lines = render({"body": {"profile": {"following": True}, "x": 1}}, ["body.profile"])
    assert marked(lines) == [("body.profile", '"profile": {'),
                             ("body.profile.following", '"following": true'),
                             ("body.profile", "},")]


def test_odd_keys_use_the_quoted_path_syntax_and_prefixes_do_not_match():
    lines = render({"body": {"a b": 1, "ab": 2, "abc": 3}}, ["body.ab"])
    assert marked(lines) == [("body.ab", '"ab": 2,')]
    assert any(line.path == 'body["a b"]' for line in lines)


def test_both_sides_are_rendered():
    both = side_by_side({"body": [1]}, {"body": [2]}, ["body[0]"])
    assert marked(both["control"]) == [("body[0]", "1")]
    assert marked(both["candidate"]) == [("body[0]", "2")]
