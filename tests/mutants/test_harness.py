"""The harness's own logic, without processes: patching (STALE), the route table, verdicts."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.mutants.catalog import BY_NAME, CLASSES, MUTANTS, Mutant
from tests.mutants.patching import Stale, apply, check, copy_packages
from tests.mutants.run import shadowed_table
from tests.mutants.verdict import (
    CANDIDATE_ERROR,
    CAUGHT,
    ELSEWHERE,
    ESCAPED_WRITE,
    MISSED,
    classify,
    path_matches,
)
from tests.support.processes import REPO_ROOT

STATUS = Mutant("demo", "statuses", "pkg/mod.py", "return 201", "return 200",
                ("POST /api/articles",), ("status",))


def test_the_catalog_covers_every_class_of_the_issue_with_at_least_36_mutants() -> None:
    assert len(MUTANTS) >= 36
    assert {m.mutant_class for m in MUTANTS} == set(CLASSES)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_each_mutant_applies_to_the_current_backend(mutant: Mutant, tmp_path: Path) -> None:
    """A STALE mutant fails here, so a refactor that moves its code is seen at once."""
    target = tmp_path / mutant.file
    target.parent.mkdir(parents=True)
    target.write_text((REPO_ROOT / mutant.file).read_text())
    apply(mutant, tmp_path)
    text = target.read_text()
    assert mutant.new in text
    assert text.count(mutant.old) == (1 if mutant.old in mutant.new else 0)
    compile(text, str(target), "exec")


def test_apply_changes_only_the_copy(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("x = 1\nreturn 201\n")
    apply(STATUS, tmp_path)
    assert (tmp_path / "pkg" / "mod.py").read_text() == "x = 1\nreturn 200\n"


@pytest.mark.parametrize(("content", "reason"), [
    ("return 200\n", "occurs 0 times"),
    ("return 201\nreturn 201\n", "occurs 2 times"),
])
def test_old_text_missing_or_repeated_is_stale(tmp_path: Path, content: str, reason: str) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text(content)
    with pytest.raises(Stale, match=reason):
        apply(STATUS, tmp_path)
    assert (tmp_path / "pkg" / "mod.py").read_text() == content


def test_a_renamed_file_is_stale(tmp_path: Path) -> None:
    with pytest.raises(Stale, match="does not exist"):
        check(STATUS, tmp_path)


def test_copy_packages_leaves_the_repository_alone(tmp_path: Path) -> None:
    root = copy_packages(REPO_ROOT, tmp_path / "copy")
    mutant = BY_NAME["create-article-200"]
    before = (REPO_ROOT / mutant.file).read_text()
    apply(mutant, root)
    assert (REPO_ROOT / mutant.file).read_text() == before
    assert mutant.new in (root / mutant.file).read_text()
    assert (root / "rollout" / "wsgi.py").is_file() and (root / "routes.yaml").is_file()


def test_shadowed_table_shadows_every_route_and_dry_runs_every_write() -> None:
    source = yaml.safe_load((REPO_ROOT / "routes.yaml").read_text())
    table = yaml.safe_load(shadowed_table())
    assert [e["route"] for e in table["routes"]] == [e["route"] for e in source["routes"]]
    for entry in table["routes"]:
        assert (entry["serve"], entry["shadow"]) == ("legacy", "flask")
        write = entry["route"].split()[0] not in ("GET", "HEAD", "OPTIONS")
        assert (entry.get("writes") == "dry-run") is write, entry
    assert table["shadow"]["ignore"] == source["shadow"]["ignore"]


@pytest.mark.parametrize(("stored", "expected", "matches"), [
    ("body.articles[*].slug", "body.articles", True),
    ("body.articlesCount", "body.articles", False),
    ("body.errors.profile", "body.errors", True),
    ("status", "status", True),
    ("headers.etag", "headers.etag", True),
])
def test_path_matching(stored: str, expected: str, matches: bool) -> None:
    assert path_matches(stored, expected) is matches


def rows(*items: tuple[int, str, str]) -> list[dict]:
    return [{"id": i, "route": r, "outcome": o, "control_ms": 2.0, "candidate_ms": 3.0}
            for i, r, o in items]


def test_caught_on_the_expected_route_and_path_counts_comparisons_needed() -> None:
    comparisons = rows((1, "GET /api/tags", "match"), (2, "POST /api/articles", "mismatch"),
                       (3, "POST /api/articles", "match"))
    differences = [{"comparison_id": 2, "route": "POST /api/articles", "path": "status"}]
    verdict = classify(STATUS, comparisons, differences)
    assert (verdict.verdict, verdict.route, verdict.path) == (
        CAUGHT, "POST /api/articles", "status")
    assert verdict.comparisons_needed == 2 and verdict.mismatches == 1


def test_wrong_path_or_route_is_caught_elsewhere() -> None:
    comparisons = rows((5, "POST /api/articles", "mismatch"), (6, "GET /api/articles", "mismatch"))
    differences = [{"comparison_id": 5, "route": "POST /api/articles", "path": "body.article"},
                   {"comparison_id": 6, "route": "GET /api/articles", "path": "status"}]
    verdict = classify(STATUS, comparisons, differences)
    assert (verdict.verdict, verdict.path, verdict.comparisons_needed) == (
        ELSEWHERE, "body.article", 1)


def test_a_candidate_error_on_the_route_is_a_finding() -> None:
    mutant = Mutant("e", "errors on one input", "f.py", "a", "b", ("GET *",),
                    (CANDIDATE_ERROR,))
    verdict = classify(mutant, rows((1, "GET /api/tags", "candidate_error")), [])
    assert (verdict.verdict, verdict.route) == (CAUGHT, "GET /api/tags")


def test_an_escaped_write_on_the_route_is_a_finding() -> None:
    mutant = Mutant("e", "dry-run leaks", "f.py", "a", "b", ("POST *",), (ESCAPED_WRITE,))
    verdict = classify(mutant, rows((1, "POST /api/articles", "match"),
                                    (2, "POST /api/articles", "escaped_write")), [])
    assert (verdict.verdict, verdict.route, verdict.path, verdict.comparisons_needed) == (
        CAUGHT, "POST /api/articles", ESCAPED_WRITE, 2)


def test_only_matches_and_the_baselines_noise_are_missed() -> None:
    comparisons = rows((1, "POST /api/articles", "match"), (2, "GET /api/articles", "mismatch"))
    differences = [{"comparison_id": 2, "route": "GET /api/articles", "path": "body.x"}]
    verdict = classify(STATUS, comparisons, differences, noise={("GET /api/articles", "body.x")})
    assert verdict.verdict == MISSED and verdict.comparisons_needed is None
    assert verdict.comparisons == 2 and verdict.outcomes == {"match": 1, "mismatch": 1}


def test_the_baseline_reports_its_first_mismatch() -> None:
    comparisons = rows((1, "GET /api/tags", "match"), (2, "GET /api/articles", "mismatch"))
    differences = [{"comparison_id": 2, "route": "GET /api/articles", "path": "body.x"}]
    verdict = classify(None, comparisons, differences)
    assert (verdict.verdict, verdict.mismatches, verdict.comparisons_needed) == (
        "baseline", 1, 2)


def test_latency_ratio_against_the_baseline() -> None:
    mutant = BY_NAME["list-sleeps-per-article"]
    slow = [{"id": 1, "route": "GET /api/articles", "outcome": "match", "control_ms": 2.0,
             "candidate_ms": 12.0}]
    verdict = classify(mutant, slow, [], baseline_latency={"GET /api/articles": 1.5})
    assert verdict.verdict == MISSED and verdict.latency_ratio == 4.0
