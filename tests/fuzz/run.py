"""Run the differential fuzzer: generate, send to both sides, compare replies and databases.

The databases are compared after every request that could write (and every 25th request in
any case); after a database difference, and every ``reset_every`` writes, both go back to the
seed state so one difference does not cascade into many.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from tests.fuzz import generators, tables
from tests.fuzz.sides import Pair
from tests.fuzz.verdict import Difference, judge
from tests.fuzz.wire import RawRequest
from tests.support.databases import DatabaseFactory


@dataclass
class Report:
    """What a run sent and what differed."""

    pairs: int = 0
    unsendable: int = 0
    resets: int = 0
    seconds: float = 0.0
    families: Counter = field(default_factory=Counter)
    differences: list[Difference] = field(default_factory=list)

    def by_cause(self) -> Counter:
        return Counter((d.cause, d.documented) for d in self.differences)

    @property
    def undocumented(self) -> list[Difference]:
        return [d for d in self.differences if not d.documented]

    def summary(self) -> str:
        lines = [f"fuzz: {self.pairs} request pairs in {self.seconds:.0f} s, "
                 f"{len(self.differences)} differed ({len(self.undocumented)} undocumented), "
                 f"{self.unsendable} generated requests not sendable, {self.resets} resets",
                 "requests by generator: " + ", ".join(
                     f"{family} {count}" for family, count in sorted(self.families.items()))]
        for (cause, documented), count in sorted(self.by_cause().items()):
            lines.append(f"  {count:6d}  {cause}{' (documented)' if documented else ''}")
        return "\n".join(lines)


def _sending(send, family: str):
    """Return a one-argument function Hypothesis can drive: ``send(family, request)``."""

    def send_one(request: RawRequest | None) -> None:
        send(family, request)

    return send_one


def fuzz(pairs: int, databases: DatabaseFactory, artifacts: Path, *, seed: int = 0,
         reset_every: int = 100) -> Report:
    """Send about ``pairs`` generated requests to legacy and the backend; return the report.

    Requests come in rounds of 100, each generator building its share (FAMILIES) with its
    own Hypothesis seed, so every generator runs in any run of 100 pairs or more.
    """
    started = time.monotonic()
    pair = Pair(databases, artifacts)
    report = Report()
    log = artifacts / f"fuzz-differences-{seed}.jsonl"
    log.write_text("")
    try:
        pair.seed()
        state = {"before": pair.snapshot(), "writes": 0}

        def one(family: str, request: RawRequest | None) -> None:
            if request is None:
                report.unsendable += 1
                return
            report.pairs += 1
            report.families[family] += 1
            legacy, backend = pair.send(request)
            changed: list[tables.TableDifference] = []
            if request.writes or report.pairs % 25 == 0:
                after = pair.snapshot()
                changed = tables.compare(state["before"], after)
                state["before"] = after
                state["writes"] += request.writes
            difference = judge(family, request, legacy, backend, changed)
            if difference is not None:
                report.differences.append(difference)
                with log.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(difference.record()) + "\n")
            if changed or state["writes"] >= reset_every:
                pair.reset()
                report.resets += 1
                state.update(before=pair.snapshot(), writes=0)
            if report.pairs % 1000 == 0:
                print(f"fuzz: {report.pairs} pairs, {len(report.differences)} differed "
                      f"({len(report.undocumented)} undocumented)", flush=True)

        strategies = generators.builders(pair.live)
        for batch in range(-(-pairs // 100)):  # rounds of 100: each family its share
            for number, (family, share) in enumerate(generators.FAMILIES.items()):
                test = given(strategies[family])(_sending(one, family))
                run = settings(max_examples=share, database=None, deadline=None,
                               phases=[Phase.generate],
                               suppress_health_check=list(HealthCheck))(test)
                hypothesis_seed(seed * 1_000_003 + batch * 101 + number)(run)()
    finally:
        pair.close()
        report.seconds = time.monotonic() - started
    return report
