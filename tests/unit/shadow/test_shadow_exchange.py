"""The Exchange is plain data; an Experiment resolves a route's settings once."""

from __future__ import annotations

import json
from dataclasses import asdict

from shadow import Exchange, Experiment, Rules
from tests.support.factories import make_exchange


def test_an_exchange_survives_a_json_round_trip() -> None:
    exchange = make_exchange("GET /api/articles/:slug", query="a=1",
                             headers={"authorization": "Token t"})
    data = json.loads(json.dumps(asdict(exchange)))
    again = Exchange(**{key: tuple(map(tuple, value)) if isinstance(value, list) else value
                        for key, value in data.items()})
    assert again == exchange
    assert exchange.with_body(b"x").body == b"x" and exchange.body is None  # immutable


def test_the_candidate_is_the_other_side() -> None:
    assert make_exchange(control_side="legacy").candidate_side == "flask"
    assert make_exchange(control_side="flask").candidate_side == "legacy"


def test_a_route_setting_wins_over_the_global_one() -> None:
    defaults = {"sample": 0.5, "timeout": 2.0, "calibrate": 0.1, "ignore": ["body.a"],
                "max_in_flight": 32}
    route = {"sample": 0.0, "ignore": ["body.b"], "writes": "dry-run", "max_in_flight": 3}
    experiment = Experiment.from_settings(defaults, route)
    assert (experiment.sample, experiment.timeout, experiment.calibrate) == (0.0, 2.0, 0.1)
    assert (experiment.writes, experiment.max_in_flight) == ("dry-run", 3)
    assert [str(p) for p in experiment.rules.ignore] == ["body.a", "body.b"]
    # The global max_in_flight sizes the Mirror; it is no route's own cap.
    assert Experiment.from_settings(defaults, {}).max_in_flight is None
    assert Experiment.from_settings() == Experiment(rules=Rules())
