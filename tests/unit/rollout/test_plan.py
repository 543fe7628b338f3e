"""Rollout plans in routes.yaml: validated with the rest of the file, defaults merged."""

from __future__ import annotations

import pytest

from proxy.validation import RouteFileError, load_table
from rollout.plan import plans

ROUTE = "routes:\n  - route: GET /api/tags\n    serve: legacy\n"


def problems(text: str) -> list[str]:
    with pytest.raises(RouteFileError) as error:
        load_table(text, "routes.yaml", None)
    return error.value.problems


@pytest.mark.parametrize(("text", "problem"), [
    ("rollout:\n  steps: [shadow, canary 10, canary 5]\n" + ROUTE,
     "routes.yaml:2: rollout.steps[2]: canary 5 after canary 10: each step must give Flask a"
     " larger share than the one before"),
    ("rollout:\n  steps: [shadow]\n" + ROUTE,
     "routes.yaml:2: rollout.steps: a plan has at least two steps"),
    ("rollout:\n  steps: [shadow, canary 100]\n" + ROUTE,
     "routes.yaml:2: rollout.steps[1]: unknown state 'canary 100': legacy, shadow, canary N"
     " (1-99), flask, flask alone"),
    ("rollout:\n  hold: soon\n" + ROUTE,
     "routes.yaml:2: rollout.hold: 'soon' is not a duration: a number of seconds, or N with"
     " ms, s, m, h or d (30m, 1h)"),
    ("rollout:\n  on_breach: panic\n" + ROUTE,
     "routes.yaml:2: rollout.on_breach: Input should be 'rollback' or 'pause'"),
    (ROUTE + "    rollout: defualt\n", "routes.yaml:4: routes[0].rollout: Input should be"
     " 'default'"),
    (ROUTE + "    rollout: {gate: {parity: 120}}\n",
     "routes.yaml:4: routes[0].rollout.gate.parity: Input should be less than or equal to 100"),
    (ROUTE + "    rollout: {gate: {parity: 99, min_comparison: 5}}\n",
     "routes.yaml:4: routes[0].rollout.gate.min_comparison: unknown key"),
    (ROUTE + "    rollout:\n      steps: [flask, shadow]\n",
     "routes.yaml:5: routes[0].rollout.steps[1]: shadow after flask: each step must give Flask"
     " a larger share than the one before"),
])
def test_bad_plans_are_refused_naming_the_path(text: str, problem: str) -> None:
    assert problems(text) == [problem]


def test_one_line_takes_the_defaults_and_a_mapping_replaces_keys() -> None:
    table = load_table(
        "rollout:\n  gate: {parity: 99.5, window: 10m}\n  hold: 2h\n"
        "routes:\n"
        "  - route: GET /api/tags\n    serve: legacy\n    rollout: default\n"
        "  - route: GET /api/articles/:id\n    serve: legacy\n"
        "    rollout: {steps: [shadow, flask], gate: {min_comparisons: 50}, on_breach: pause}\n"
        "  - route: GET /api/user\n    serve: legacy\n", "routes.yaml", None)
    found = plans(table.config)
    assert list(found) == ["GET /api/tags", "GET /api/articles/:id"]  # GET /api/user: none
    tags, article = found.values()
    assert [s.name for s in tags.steps] == ["shadow", "canary 1", "canary 10", "canary 50",
                                            "flask"]
    assert (tags.gate.parity, tags.gate.window, tags.gate.min_comparisons, tags.hold,
            tags.on_breach) == (99.5, 600.0, 500, 7200.0, "rollback")
    assert [s.name for s in article.steps] == ["shadow", "flask"]
    assert (article.gate.parity, article.gate.window, article.gate.min_comparisons,
            article.on_breach) == (99.5, 600.0, 50, "pause")
    assert article.next_step("shadow").name == "flask" and article.next_step("flask") is None
    assert article.index("canary 10") is None
