"""``python -m tests.mutants``: the mutation harness of issue 12 (docs/mutants.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tests.mutants.catalog import BY_NAME, MUTANTS
from tests.mutants.patching import Stale, check
from tests.mutants.run import ARTIFACTS, RunResult, run_all, table
from tests.support.processes import REPO_ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutants", description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated mutant names")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="clients running the workload at once for each mutant (default 1)")
    parser.add_argument("--baseline-concurrency", default="1,8",
                        help="client counts for the unmodified backend (default 1,8)")
    parser.add_argument("--scenarios", action="store_true",
                        help="also replay the comparative scenarios (slower)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--output", type=Path, default=ARTIFACTS / "mutants.json")
    args = parser.parse_args(argv)

    if args.list:
        for mutant in MUTANTS:
            try:
                check(mutant, REPO_ROOT)
                state = ""
            except Stale as stale:
                state = f"  STALE: {stale}"
            print(f"{mutant.name:34} {mutant.mutant_class:22} {mutant.file}{state}")
        return 0
    names = [n for n in args.only.split(",") if n]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        parser.error(f"unknown mutants: {', '.join(unknown)}")
    mutants = [BY_NAME[n] for n in names] if names else list(MUTANTS)
    baselines = [int(n) for n in args.baseline_concurrency.split(",") if n]

    def progress(r: RunResult) -> None:
        print(f"{r.name:34} {r.verdict:17} {r.route} {r.path} "
              f"(needed {r.comparisons_needed}, {r.comparisons} compared, {r.seconds}s)"
              + (f" {r.note[:200]}" if r.verdict in ("STALE", "run failed") else ""),
              flush=True)

    results = run_all(mutants, clients=args.concurrency, baseline_clients=baselines,
                      scenarios=args.scenarios, output=args.output, progress=progress)
    print()
    print(table(results))
    verdicts = [r.verdict for r in results if r.mutant_class != "baseline"]
    print(f"\n{len(verdicts)} mutants: " + ", ".join(
        f"{verdicts.count(v)} {v}" for v in dict.fromkeys(verdicts)))
    print(f"JSON: {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
