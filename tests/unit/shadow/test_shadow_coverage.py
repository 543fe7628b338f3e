"""Coverage: what the compared responses exercised, summarised per comparison, added per route."""

from __future__ import annotations

import json

from shadow.coverage import MAX_PATHS, Coverage, summarize
from shadow.document import parse_json


def doc(body: object, status: int = 200) -> dict:
    return {"status": status, "headers": {}, "body": parse_json(json.dumps(body))}


def test_a_summary_names_the_filled_fields_and_list_lengths() -> None:
    summary = json.loads(summarize(doc({
        "articles": [{"slug": "a", "tagList": [], "favorited": False, "bio": None},
                     {"slug": "", "tagList": ["x", "y"], "favorited": True, "bio": None}],
        "articlesCount": 0, "author": {}})))
    assert set(summary["filled"]) == {
        "body.articles", "body.articles[*]", "body.articles[*].slug",
        "body.articles[*].tagList", "body.articles[*].tagList[*]",
        "body.articles[*].favorited", "body.articlesCount"}
    assert summary["lists"] == {"body.articles": [2, 2], "body.articles[*].tagList": [0, 2]}


def test_bodies_that_are_not_json_documents_have_no_summary() -> None:
    assert summarize(None) is None
    assert summarize({"status": 204}) is None
    assert summarize({"status": 200, "body": "plain text"}) is None


def test_a_huge_document_keeps_a_bounded_summary() -> None:
    summary = json.loads(summarize(doc({f"k{n}": [n] for n in range(3 * MAX_PATHS)})))
    assert len(summary["filled"]) <= MAX_PATHS and len(summary["lists"]) <= MAX_PATHS


def test_coverage_adds_summaries_up_and_names_its_gaps() -> None:
    empty_feed = summarize(doc({"articles": [], "articlesCount": 0}))
    coverage = Coverage(statuses={"200": 3})
    for _ in range(3):
        coverage.add(empty_feed)
    coverage.add(None)
    assert coverage.summarized == 3
    assert coverage.never_filled == ["body.articles"]
    assert coverage.gaps == ["only status 200 seen", "never a non-empty body.articles"]
    coverage.add(summarize(doc({"articles": [{"slug": "a"}], "articlesCount": 1})))
    coverage.statuses["401"] = 1
    assert coverage.gaps == []
    assert coverage.as_dict()["list_lengths"] == {"body.articles": {"min": 0, "max": 1}}
    assert "body.articles[*].slug" in coverage.as_dict()["filled"]


def test_every_judged_comparison_carries_the_controls_summary() -> None:
    from shadow.compare import compare
    from shadow.observation import Observation

    def answer(body: object) -> Observation:
        return Observation(200, {"Content-Type": "application/json"}, json.dumps(body).encode(),
                           0.01)

    feed = {"articles": [], "articlesCount": 0}
    for candidate in (feed, {"articles": [], "articlesCount": 0}, {"articles": [{"a": 1}]}):
        result = compare(answer(feed), answer(candidate))  # byte-equal, equal, different
        assert json.loads(result.coverage) == {"filled": ["body.articlesCount"],
                                               "lists": {"body.articles": [0, 0]}}
