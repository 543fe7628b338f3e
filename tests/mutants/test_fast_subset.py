"""The fast subset of ``make mutants``: the unmodified backend and four mutants the current
comparator catches (a status, a count, a message, a write never committed, seen only in the
rows), through real legacy and the real shadowing proxy (about a minute and a half)."""

from __future__ import annotations

import pytest

from tests.mutants.catalog import BY_NAME
from tests.mutants.run import Harness
from tests.mutants.verdict import CAUGHT

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]

EXPECTED = {
    "create-article-200": ("POST /api/articles", "status"),
    "articles-count-plus-one": ("GET /api/articles", "body.articlesCount"),
    "profile-not-found-message": ("GET /api/profiles/:username", "body.errors.profile[*]"),
    "unfollow-never-committed": ("DELETE /api/profiles/:username/follow", "effects.follows[-]"),
}


def test_baseline_matches_and_four_mutants_are_caught_where_they_are(tmp_path) -> None:
    with Harness(log_dir=tmp_path) as harness:
        baseline = harness.run(None)
        assert baseline.verdict == "baseline", baseline.note
        assert baseline.comparisons > 60, baseline
        assert baseline.mismatches == 0, baseline.findings
        assert baseline.outcomes.get("candidate_error", 0) == 0, baseline.outcomes
        for name, (route, path) in EXPECTED.items():
            result = harness.run(BY_NAME[name])
            assert (result.verdict, result.route, result.path) == (CAUGHT, route, path), result
            assert result.comparisons_needed is not None and result.comparisons_needed >= 1
