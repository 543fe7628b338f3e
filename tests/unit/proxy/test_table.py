from __future__ import annotations

import pytest

from proxy.patterns import canonical_segments
from proxy.validation import RouteFileError, load_table

ROUTES = """
default: legacy
routes:
  - route: GET /api/articles/:slug
    serve: legacy
  - route: GET /api/articles/feed
    serve: flask
  - route: GET /api/articles/:slug/comments
    serve: legacy
  - route: DELETE /api/articles/:slug/comments/:id
    serve: flask
  - route: GET /api/Tags
    serve: flask
"""


def decide(method: str, raw: str, text: str = ROUTES):
    table = load_table(text, "routes.yaml", None)
    return table.decide(method, canonical_segments(raw), {"REMOTE_ADDR": "127.0.0.1"})


def test_literal_segment_beats_parameter() -> None:
    assert decide("GET", "/api/articles/feed").template == "GET /api/articles/feed"
    assert decide("GET", "/api/articles/feed").side == "flask"
    assert decide("GET", "/api/articles/how-to").template == "GET /api/articles/:slug"


def test_literal_order_in_file_does_not_matter() -> None:
    reordered = ROUTES.replace("GET /api/articles/:slug\n", "GET /api/articles/:x\n")
    assert decide("GET", "/api/articles/feed", reordered).side == "flask"


def test_head_follows_get() -> None:
    decision = decide("HEAD", "/api/articles/feed")
    assert (decision.template, decision.side) == ("GET /api/articles/feed", "flask")


def test_method_must_match() -> None:
    decision = decide("POST", "/api/articles/feed")
    assert decision.route is None
    assert (decision.template, decision.side) == ("unmatched", "legacy")


def test_unlisted_route_takes_the_default() -> None:
    text = ROUTES.replace("default: legacy", "default: flask")
    decision = decide("GET", "/api/profiles/jake", text)
    assert (decision.template, decision.side, decision.path) == (
        "unmatched", "flask", "/api/profiles/jake")


def test_path_is_rebuilt_as_the_upstreams_will_see_it() -> None:
    decision = decide("DELETE", "/API//articles/%68ow-to/Comments/12/")
    assert decision.template == "DELETE /api/articles/:slug/comments/:id"
    assert decision.path == "/api/articles/how-to/comments/12"


def test_literals_match_case_insensitively_like_express() -> None:
    assert decide("GET", "/api/tags").template == "GET /api/Tags"
    assert decide("GET", "/API/TAGS").side == "flask"


def test_params_keep_their_encoding() -> None:
    assert decide("GET", "/api/articles/caf%c3%a9").path == "/api/articles/caf%C3%A9"


PREFLIGHT_ROUTES = """
default: legacy
routes:
  - route: GET /api/articles/:slug
    serve: legacy
  - route: PUT /api/articles/:slug
    serve: flask
  - route: POST /api/articles
    serve: flask
"""


def preflight(raw: str, asked: str | None, text: str = PREFLIGHT_ROUTES):
    table = load_table(text, "routes.yaml", None)
    environ = {"REMOTE_ADDR": "127.0.0.1"}
    if asked is not None:
        environ["HTTP_ACCESS_CONTROL_REQUEST_METHOD"] = asked
    return table.decide("OPTIONS", canonical_segments(raw), environ)


def test_a_preflight_belongs_to_the_route_of_the_method_it_asks_about() -> None:
    decision = preflight("/api/articles/how-to", "put")
    assert (decision.template, decision.side, decision.path) == (
        "PUT /api/articles/:slug", "flask", "/api/articles/how-to")
    assert preflight("/api/articles/how-to", "GET").template == "GET /api/articles/:slug"


def test_a_preflight_for_a_method_no_route_has_is_unmatched() -> None:
    decision = preflight("/api/articles/how-to", "DELETE")
    assert (decision.route, decision.side) == (None, "legacy")
    assert decision.compared_as == "(unmatched)"


def test_a_plain_options_belongs_to_the_paths_route_get_first() -> None:
    assert preflight("/api/articles/how-to", None).template == "GET /api/articles/:slug"
    assert preflight("/api/articles", None).template == "POST /api/articles"
    assert preflight("/api/nothing", None).route is None


def test_unmatched_requests_are_compared_only_when_the_table_asks() -> None:
    plain = load_table(PREFLIGHT_ROUTES, "routes.yaml", None)
    unmatched = plain.decide("GET", canonical_segments("/api/profiles/jake"), {})
    assert plain.experiment_for(unmatched) is None
    asked = load_table(PREFLIGHT_ROUTES + "shadow:\n  unmatched: flask\n  ignore: [body.x]\n",
                       "routes.yaml", None)
    experiment = asked.experiment_for(unmatched)
    assert experiment is not None
    assert experiment.rules.ignore  # the global shadow: rules apply to it


def test_unmatched_must_name_the_side_that_does_not_serve_them() -> None:
    with pytest.raises(RouteFileError, match="shadow.unmatched"):
        load_table(PREFLIGHT_ROUTES + "shadow:\n  unmatched: legacy\n", "routes.yaml", None)
