"""``python -m tests.fuzz [--pairs N] [--seed S]``: a long differential fuzzing run.

Prints the count of differences by cause and writes every difference to
``tests/artifacts/fuzz-differences-<seed>.jsonl``; exits 1 when any is undocumented.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.fuzz.run import fuzz
from tests.support.databases import DatabaseFactory
from tests.support.processes import ARTIFACTS


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--pairs", type=int, default=20000, help="requests to send (20000)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (1)")
    parser.add_argument("--reset-every", type=int, default=100,
                        help="writes between returns to the seed state (100)")
    options = parser.parse_args()
    ARTIFACTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="strangler-fuzz-") as scratch:
        databases = DatabaseFactory(Path(scratch))
        try:
            report = fuzz(options.pairs, databases, ARTIFACTS, seed=options.seed,
                          reset_every=options.reset_every)
        finally:
            databases.drop_all()
    print(report.summary())
    (ARTIFACTS / f"fuzz-report-{options.seed}.txt").write_text(report.summary() + "\n")
    return 1 if report.undocumented else 0


if __name__ == "__main__":
    sys.exit(main())
