"""Comparable JSON values: == is JSON equality, canonical is the one JSON text."""

from __future__ import annotations

import json

import pytest

from shadow.document import FALSE, TRUE, canonical, parse_json, plain


@pytest.mark.parametrize(
    ("left", "right", "equal"),
    [
        ('{"a": 1, "b": [true, null]}', '{"b": [true, null], "a": 1.0}', True),
        ("[1, 2.50]", "[1.0, 2.5]", True),
        ("true", "1", False),
        ('{"a": [false]}', '{"a": [0]}', False),
        ("[[true]]", "[[1]]", False),
        ('{"a": 1}', '{"a": "1"}', False),
        ("1e2", "100", True),
        ("1.5", "1", False),
    ],
)
def test_parsed_values_compare_as_json(left: str, right: str, equal: bool) -> None:
    assert (parse_json(left) == parse_json(right)) is equal


def test_booleans_become_singletons_everywhere() -> None:
    parsed = parse_json('{"a": true, "b": [false, [true]], "c": {"d": false}}')
    assert parsed == {"a": TRUE, "b": [FALSE, [TRUE]], "c": {"d": FALSE}}
    assert plain(parsed) == {"a": True, "b": [False, [True]], "c": {"d": False}}


@pytest.mark.parametrize(
    "value",
    [{"b": [1, 2.5, None], "a": 'é"\n'}, "text", 7, None, [], {}, 2.25, -3],
)
def test_canonical_is_sorted_compact_json(value) -> None:
    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical(value) == expected


def test_canonical_writes_booleans_as_json() -> None:
    assert canonical({"x": TRUE, "y": [FALSE]}) == '{"x":true,"y":[false]}'
    assert canonical(TRUE) == "true"
