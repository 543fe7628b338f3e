"""The comparative suite's scenarios (tests/comparative/), replayed through a shadowing proxy.

Each scenario function runs with a ProxyScenario: its steps go once to the proxy, which
serves them from legacy and compares Flask in shadow; the comparison is shadow mode's job.
Parametrized scenarios run once per case of their ``parametrize`` marks.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from _pytest.mark.structures import ParameterSet

from tests.comparative import (
    test_articles,
    test_bad_input,
    test_comments,
    test_http,
    test_profiles,
    test_users,
)
from tests.comparative.exchange import Reply
from tests.comparative.scenario import Scenario, Step

MODULES = (test_users, test_profiles, test_articles, test_comments, test_http, test_bad_input)


class ProxyScenario(Scenario):
    """A scenario whose steps all go to one server (the proxy), compared by shadow mode."""

    def __init__(self, proxy_url: str, log: Path) -> None:
        super().__init__(proxy_url, proxy_url, log)

    def run(self, *steps: Step) -> list[tuple[Reply, Reply]]:
        replies = []
        for step in steps:
            reply = self.legacy.perform(step)
            replies.append((reply, reply))
        return replies


def _cases(function: Callable[..., Any]) -> Iterator[dict[str, Any]]:
    axes = []
    for mark in getattr(function, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names = mark.args[0]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        rows = []
        for value in mark.args[1]:
            value = value.values if isinstance(value, ParameterSet) else value
            rows.append(dict(zip(names, value if len(names) > 1 else (value,), strict=True)))
        axes.append(rows)
    for combination in itertools.product(*axes):
        yield {k: v for row in combination for k, v in row.items()}


def scenarios() -> Iterator[tuple[str, Callable[..., Any], dict[str, Any]]]:
    """Yield (name, function, keyword arguments) for every comparative scenario case."""
    for module in MODULES:
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("test_") or function.__module__ != module.__name__:
                continue
            for case in _cases(function):
                if set(inspect.signature(function).parameters) == {"scenario", *case}:
                    yield f"{module.__name__}.{name}", function, case


def run_all(proxy_url: str, log: Path) -> int:
    """Run every scenario case through the proxy; return how many ran."""
    count = 0
    for _, function, case in scenarios():
        function(scenario=ProxyScenario(proxy_url, log), **case)
        count += 1
    return count
