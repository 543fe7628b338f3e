"""Rules built from routes.yaml's shadow settings."""

from __future__ import annotations

import pytest

from shadow.rules import COMPARED_HEADERS, RuleError, Rules


def test_route_settings_add_to_the_global_ones() -> None:
    rules = Rules.from_settings(
        {"ignore": ["body..createdAt"], "unordered": ["body.tags"], "headers": ["X-Total"]},
        {"ignore": ["body.user.token"], "unordered": ["body.articles[*].tagList"]},
    )
    assert [p.text for p in rules.ignore] == ["body..createdAt", "body.user.token"]
    # deepest first, so nested lists are sorted before the lists that hold them
    assert [p.text for p in rules.unordered] == ["body.articles[*].tagList", "body.tags"]
    assert rules.headers == COMPARED_HEADERS | {"x-total"}


def test_route_decides_whether_server_errors_are_excused() -> None:
    assert Rules.from_settings({}, {}).excuse_server_errors is True
    assert Rules.from_settings({}, {"excuse_server_errors": False}).excuse_server_errors is False


def test_no_settings_give_the_defaults() -> None:
    assert Rules.from_settings(None, None) == Rules()


@pytest.mark.parametrize(
    ("defaults", "route", "message"),
    [
        ({"ignore": "body.x"}, {}, r"shadow\.ignore must be a list"),
        ({}, {"ignore": ["user.token"]}, r"route\.ignore: field path 'user.token'"),
        ({}, {"unordered": ["body.tags["]}, r"route\.unordered: field path"),
        ({"headers": "etag"}, {}, r"shadow\.headers must be a list"),
        ({}, {"excuse_server_errors": "yes"}, r"route\.excuse_server_errors must be true"),
    ],
)
def test_bad_settings_name_the_setting_and_value(defaults, route, message) -> None:
    with pytest.raises(RuleError, match=message):
        Rules.from_settings(defaults, route)


def test_settings_may_be_objects_with_attributes() -> None:
    class Defaults:
        ignore = ["body..updatedAt"]

    class Route:
        ignore = ["body.user.token"]
        unordered = ["body.tags"]
        writes = "skip"  # not a comparison setting: left to the Mirror

    rules = Rules.from_settings(Defaults(), Route())
    assert [p.text for p in rules.ignore] == ["body..updatedAt", "body.user.token"]
    assert [p.text for p in rules.unordered] == ["body.tags"]
