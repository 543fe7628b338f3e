"""Noise calibration: fields that differ between two control answers, generalised."""

from __future__ import annotations

from shadow.noise import calibrate
from shadow.observation import Observation
from shadow.rules import Rules


def test_differing_fields_come_back_generalised(observe) -> None:
    first = {
        "articles": [{"slug": "a", "updatedAt": "1"}, {"slug": "b", "updatedAt": "2"}],
        "requestedAt": "t1",
        "count": 2,
    }
    second = {
        "articles": [{"slug": "a", "updatedAt": "3"}, {"slug": "b", "updatedAt": "4"}],
        "requestedAt": "t2",
        "count": 2,
    }
    assert calibrate(observe(first), observe(second)) == [
        "body.articles[*].updatedAt",
        "body.requestedAt",
    ]


def test_identical_answers_have_no_noise(observe) -> None:
    assert calibrate(observe({"a": 1}), observe({"a": 1.0})) == []


def test_fields_already_ignored_are_not_reported(observe) -> None:
    rules = Rules().extended(ignore=["body.requestedAt"])
    first, second = observe({"requestedAt": 1, "x": 1}), observe({"requestedAt": 2, "x": 2})
    assert calibrate(first, second, rules) == ["body.x"]


def test_status_and_header_noise_use_rule_syntax(observe) -> None:
    first = observe({}, status=200, headers={"Location": "/a/1"})
    second = observe({}, status=201, headers={"Location": "/a/2"})
    assert calibrate(first, second) == ["headers.location", "status"]


def test_a_failed_control_call_gives_nothing(observe) -> None:
    assert calibrate(observe({"a": 1}), Observation.failed(OSError("down"))) == []
