"""Failures off the request path: each is counted and logged as one JSON line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from shadow.background import COMPONENTS, background_error, logger, prepare
from shadow.mirror import Mirror
from shadow.observation import Outcome
from tests.support.factories import make_exchange, make_observation


def count(component: str) -> float:
    value = REGISTRY.get_sample_value("strangler_background_errors_total",
                                      {"component": component})
    return 0.0 if value is None else value


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def lines() -> Iterator[list[str]]:
    """The background logger's lines, whatever handlers the process configured."""
    handler = Lines()
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_prepare_creates_every_component_at_zero() -> None:
    prepare()
    for component in COMPONENTS:
        assert REGISTRY.get_sample_value("strangler_background_errors_total",
                                         {"component": component}) is not None, component


def test_a_failure_is_counted_and_logged_as_one_json_line(lines: list[str]) -> None:
    before = count("watchdog")
    try:
        raise ConnectionError("store down")
    except ConnectionError:
        background_error("watchdog", "callback failed", route="GET /x")
    assert count("watchdog") == before + 1
    [line] = lines
    record = json.loads(line)
    assert (record["event"], record["component"], record["message"], record["route"]) == (
        "background_error", "watchdog", "callback failed", "GET /x")
    assert record["error"] == "ConnectionError('store down')"
    assert "raise ConnectionError" in record["traceback"]


class Broken:
    def comparison(self, comparison: object) -> None:
        raise RuntimeError("publisher down")

    def noise(self, route: str, paths: list[str]) -> None:
        raise RuntimeError("publisher down")


def test_the_mirror_reports_a_failing_publisher_through_the_hook(lines: list[str]) -> None:
    before = count("publisher")
    mirror = Mirror([Broken()])
    mirror.skip(make_exchange("GET /api/tags"), make_observation({"tags": []}), Outcome.IGNORED,
                "body over 1 bytes")
    assert count("publisher") == before + 1
    [line] = lines
    record = json.loads(line)
    assert record["component"] == "publisher" and "publisher down" in record["error"]
