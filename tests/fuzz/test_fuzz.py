"""A bounded differential fuzzing run (``make fuzz`` runs the long one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fuzz.generators import FAMILIES
from tests.fuzz.run import fuzz
from tests.support.databases import DatabaseFactory

pytestmark = [pytest.mark.legacy, pytest.mark.postgres]

PAIRS = 400
SEED = 20261202


def test_a_bounded_run_finds_no_undocumented_difference(databases: DatabaseFactory,
                                                        artifacts_dir: Path) -> None:
    report = fuzz(PAIRS, databases, artifacts_dir, seed=SEED)
    print(report.summary())
    assert report.pairs >= PAIRS * 0.9, report.summary()
    assert set(report.families) == set(FAMILIES), "a generator produced nothing"
    details = "\n".join(str(difference.record())[:1500] for difference in report.undocumented[:5])
    assert not report.undocumented, f"{report.summary()}\n{details}"
