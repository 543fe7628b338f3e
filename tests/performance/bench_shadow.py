"""Benchmark shadow mode: the comparator, then what shadowing costs the control.

Run ``python -m tests.performance.bench_shadow`` (``make bench-shadow``). First the comparator:
one process pinned to one core; each case runs a bounded number of comparisons (at most
``--seconds`` per case); comparisons per CPU second (target: >= 2,000 on one core). Then the
proxy (tests/performance/shadow_proxy.py, skipped with ``--comparator-only``): control p50/p99
and rps unshadowed and with shadow at 0% and 100% sampling, and the dry-run write cost
(target: control p50 within 10% of unshadowed). The report goes to
tests/artifacts/bench_shadow.md. ``BENCH_QUICK=1`` shortens every part (a smoke run; see
``make bench-shadow-quick``).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

from shadow.compare import compare
from shadow.observation import Observation, Outcome
from shadow.rules import Rules

EXPRESS = {
    "X-Powered-By": "Express",
    "Access-Control-Allow-Origin": "*",
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": "2048",
    "ETag": 'W/"800-8Yk1cJ4hXfH1m3W3x2bq3w"',
    "Date": "Thu, 26 Nov 2026 04:00:00 GMT",
    "Connection": "keep-alive",
    "Keep-Alive": "timeout=5",
}
FLASK = {  # the backend sends X-Powered-By and a weak ETag like Express (backend/headers.py)
    "Server": "gunicorn",
    "X-Powered-By": "Express",
    "ETag": 'W/"800-8Yk1cJ4hXfH1m3W3x2bq3w"',  # byte-equal bodies: the same ETag
    "Date": "Thu, 26 Nov 2026 04:00:00 GMT",
    "Content-Type": "application/json;charset=UTF-8",
    "Content-Length": "2050",
    "Access-Control-Allow-Origin": "*",
}
RULES = Rules.from_settings(
    {"ignore": ["body.user.token"], "unordered": ["body.articles[*].tagList"]}, {}
)
TARGET = 2_000


def articles(count: int) -> dict:
    """Return a GET /api/articles answer like Conduit's (about 2 KB for 5 articles)."""
    return {
        "articles": [
            {
                "slug": f"how-to-train-your-dragon-{n}",
                "title": f"How to train your dragon {n}",
                "description": "Ever wonder how?",
                "tagList": ["dragons", "training", "fantasy"],
                "createdAt": "2026-11-26T04:00:00.000Z",
                "updatedAt": "2026-11-26T04:00:00.000Z",
                "favorited": False,
                "favoritesCount": n,
                "author": {
                    "username": f"jake{n}",
                    "bio": "I work at statefarm",
                    "image": "https://api.realworld.io/images/smiley-cyrus.jpeg",
                    "following": False,
                },
            }
            for n in range(count)
        ],
        "articlesCount": count,
    }


def observation(data: dict, headers: dict, *, reorder: bool = False) -> Observation:
    if reorder:  # Flask's jsonify sorts keys; Express keeps insertion order
        body = json.dumps(data, sort_keys=True, separators=(",", ":"))
    else:
        body = json.dumps(data)
    return Observation(200, headers, body.encode(), 0.01)


def cases() -> list[tuple[str, Observation, Observation, Outcome]]:
    data = articles(5)
    control = observation(data, EXPRESS)
    one = copy.deepcopy(data)
    one["articles"][1]["author"]["following"] = True
    many = copy.deepcopy(data)
    for article in many["articles"]:
        article["favorited"], article["description"] = True, None
    many["articles"].reverse()
    shorter = copy.deepcopy(data)
    shorter["articles"].pop(2)
    return [
        ("match (noise headers, key order)", control, observation(data, FLASK, reorder=True),
         Outcome.MATCH),
        ("mismatch, 1 field", control, observation(one, FLASK, reorder=True), Outcome.MISMATCH),
        ("mismatch, reordered + 10 fields", control, observation(many, FLASK), Outcome.MISMATCH),
        ("mismatch, one article missing", control, observation(shorter, FLASK), Outcome.MISMATCH),
    ]  # fmt: skip


def megabyte_cases() -> list[tuple[str, Observation, Observation, Outcome]]:
    """About 1 MB of articles: byte-equal, re-serialised, one field changed, shifted by one."""
    big = articles(2250)
    one = copy.deepcopy(big)
    one["articles"][1400]["favoritesCount"] += 1
    shifted = copy.deepcopy(big)
    shifted["articles"] = shifted["articles"][1:] + articles(2251)["articles"][-1:]
    control = observation(big, EXPRESS)
    return [
        ("1 MB byte-equal (no parse)", control, observation(big, FLASK), Outcome.MATCH),
        ("1 MB key order (parsed)", control, observation(big, FLASK, reorder=True), Outcome.MATCH),
        ("1 MB, 1 field", control, observation(one, FLASK), Outcome.MISMATCH),
        ("1 MB, page shifted by one", control, observation(shifted, FLASK), Outcome.MISMATCH),
    ]


def megabyte(runs: int) -> None:
    """Print CPU seconds per comparison of ~1 MB bodies, and the ratio to json.loads alone."""
    body = megabyte_cases()[0][1].body
    cpu = time.process_time()
    for _ in range(runs):
        json.loads(body)
    baseline = (time.process_time() - cpu) / runs
    print(f"\n| 1 MB case ({len(body):,} bytes) | ms each (CPU) | × json.loads |")
    print("|---|---:|---:|")
    print(f"| json.loads of one side | {baseline * 1e3:,.1f} | 1.00 |")
    for name, control, candidate, expected in megabyte_cases():
        assert compare(control, candidate, RULES).outcome is expected, name
        cpu = time.process_time()
        for _ in range(runs):
            compare(control, candidate, RULES)
        each = (time.process_time() - cpu) / runs
        print(f"| {name} | {each * 1e3:,.1f} | {each / baseline:,.2f} |")


def measure(run: Callable[[], object], seconds: float, limit: int) -> tuple[int, float]:
    """Return how many runs were made and the CPU seconds this process spent on them.

    CPU time, not wall time: the rate is what one core achieves even on a busy machine.
    """
    for _ in range(50):  # warm up
        run()
    count, wall, cpu = 0, time.perf_counter(), time.process_time()
    while count < limit and time.perf_counter() - wall < seconds:
        for _ in range(100):
            run()
        count += 100
    return count, time.process_time() - cpu


def main() -> None:
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5 if quick else 3.0,
                        help="time per case (bound)")
    parser.add_argument("--limit", type=int, default=200_000, help="comparisons per case (bound)")
    parser.add_argument("--megabyte-runs", type=int, default=1 if quick else 5,
                        help="runs per 1 MB case")
    parser.add_argument("--comparator-only", action="store_true", help="skip the proxy part")
    args = parser.parse_args()
    if not args.comparator_only:
        from tests.performance import shadow_proxy  # before pinning: the proxies get every core

        report = shadow_proxy.run()
        artifacts = Path(__file__).resolve().parents[1] / "artifacts"
        artifacts.mkdir(exist_ok=True)
        (artifacts / "bench_shadow.md").write_text(report + "\n")
        print("\n" + report + "\n")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print("| case | body bytes | comparisons | comparisons/s (CPU) | µs each |")
    print("|---|---:|---:|---:|---:|")
    slowest = float("inf")
    for name, control, candidate, expected in cases():
        assert compare(control, candidate, RULES).outcome is expected, name
        count, elapsed = measure(lambda c=control, d=candidate: compare(c, d, RULES),
                                 args.seconds, args.limit)  # fmt: skip
        rate = count / elapsed
        slowest = min(slowest, rate)
        print(f"| {name} | {len(candidate.body)} | {count} | {rate:,.0f} | {1e6 / rate:,.0f} |")
    verdict = "meets" if slowest >= TARGET else "misses"
    print(f"\nSlowest case: {slowest:,.0f} comparisons/s on one core ({verdict} {TARGET:,}/s).")
    megabyte(args.megabyte_runs)


if __name__ == "__main__":
    main()
