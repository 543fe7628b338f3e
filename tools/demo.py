"""`make demo`: what Strangler does, in a few minutes, on 127.0.0.1 only (docs/demo.md).

``python -m tools.demo table ROUTES_FILE`` writes the demo's route table: the repository's,
with ``POST /api/articles`` mirrored as a dry-run and WITHOUT the rule that forgives each
side's own clock (``ignore: [body.article.createdAt, body.article.updatedAt]``), so shadow
mode shows one real, explained mismatch.

``python -m tools.demo drive PROXY_URL`` (DATABASE_URL and ROUTES_FILE set as for the proxy)
shadows a few routes with the real ``strangler`` CLI, seeds users, articles, tags, favorites,
follows and comments through the proxy, drives a bounded read workload, waits for the
comparisons and prints the parity figures and the mismatch, explained.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

SHADOWED = ["GET /api/tags", "GET /api/articles", "GET /api/articles/:slug",
            "GET /api/articles/:slug/comments", "GET /api/profiles/:username",
            "POST /api/articles"]
SEEDED_ROUTE = "POST /api/articles"
CLOCK_RULES = ["body.article.createdAt", "body.article.updatedAt"]
ARTICLES = [
    ("How to train your dragon", ["dragons", "training"]),
    ("Dragon diets", ["dragons"]),
    ("Cats and kittens", ["cats"]),
    ("A field guide to owls", ["birds", "owls"]),
    ("Why strangler figs win", ["plants", "migration"]),
]
EXPLANATION = """\
The seeded mismatch, explained: {route} is mirrored as a dry-run (Flask runs the insert
in a transaction it rolls back, just before legacy's real one). Each side stamps the
article with its own clock, so body.article.createdAt and updatedAt differ by a few
milliseconds on every request. That difference is real, and harmless: the repository's
routes.yaml forgives it with `ignore: [body.article.createdAt, body.article.updatedAt]`
(each side's own clock). The demo's table leaves that rule out so that you can see a
mismatch, where it is ({paths}), and how the dashboard proposes the rule ("noise")."""


def demo_table(source: Path, target: Path) -> None:
    """Write the demo's route table: ``source`` with SEEDED_ROUTE a dry-run, its clock rules
    left out (comments and order kept)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    document = yaml.load(source.read_text())
    entry = next(e for e in document["routes"] if e["route"] == SEEDED_ROUTE)
    entry.pop("ignore", None)
    entry["writes"] = "dry-run"
    with target.open("w") as out:
        out.write("# make demo's route table (tools/demo.py): the repository's, with "
                  f"{SEEDED_ROUTE} mirrored\n# as a dry-run and its clock rules left out.\n")
        yaml.dump(document, out)


def strangler(*args: str, stdin: str = "") -> str:
    """Run the real ``strangler`` CLI (DATABASE_URL and ROUTES_FILE from the environment)."""
    command = Path(sys.executable).parent / "strangler"
    done = subprocess.run([str(command), *args], input=stdin, capture_output=True, text=True,
                          timeout=120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"strangler {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def _user(api: httpx.Client, name: str) -> dict[str, Any]:
    """Sign ``name`` up, or log in when a previous demo run already did."""
    password = f"{name}-demo-password"
    email = f"{name}@demo.example"
    created = api.post("/api/users", json={"user": {"username": name, "email": email,
                                                     "password": password}})
    if created.status_code == 422:
        created = api.post("/api/users/login", json={"user": {"email": email,
                                                               "password": password}})
    created.raise_for_status()
    user = created.json()["user"]
    return {**user, "headers": {"Authorization": f"Token {user['token']}"}}


def seed(api: httpx.Client, tag: str) -> list[str]:
    """Create two users, articles with tags, a follow, favorites and comments; return slugs."""
    author, reader = _user(api, "ada"), _user(api, "grace")
    api.put("/api/user", headers=author["headers"],
            json={"user": {"bio": "I write about dragons and figs"}}).raise_for_status()
    slugs = []
    for title, tags in ARTICLES:
        created = api.post("/api/articles", headers=author["headers"], json={"article": {
            "title": f"{title} ({tag})", "description": f"About {title.lower()}",
            "body": f"{title}: the whole story.", "tagList": tags}})
        created.raise_for_status()
        slugs.append(created.json()["article"]["slug"])
        # One write at a time: on the embedded SQLite database, a dry-run that overlaps the
        # parity store's own write fails (SQLite has one writer), a candidate error.
        time.sleep(1.0)
    api.post("/api/profiles/ada/follow", headers=reader["headers"]).raise_for_status()
    for slug in slugs[:3]:
        api.post(f"/api/articles/{slug}/favorite", headers=reader["headers"]).raise_for_status()
        api.post(f"/api/articles/{slug}/comments", headers=reader["headers"],
                 json={"comment": {"body": "Thank you, this helped."}}).raise_for_status()
    return slugs


def workload(api: httpx.Client, slugs: list[str], rounds: int) -> int:
    """Read the seeded data ``rounds`` times (bounded); return the number of requests."""
    sent = 0
    for n in range(rounds):
        paths = ["/api/tags", "/api/articles", f"/api/articles?limit=2&offset={n % 3}",
                 "/api/articles?tag=dragons", "/api/articles?author=ada",
                 "/api/articles?favorited=grace", "/api/profiles/ada",
                 f"/api/articles/{slugs[n % len(slugs)]}",
                 f"/api/articles/{slugs[n % len(slugs)]}/comments",
                 "/api/articles/no-such-article"]
        for path in paths:
            api.get(path)
            sent += 1
    return sent


def wait_for_comparisons(database_url: str, since: datetime, expected: int,
                         limit: float = 60.0) -> list[Any]:
    """Poll the parity store until ``expected`` comparisons since ``since`` are recorded."""
    from shadow import engine_from_url
    from shadow.report import route_reports

    engine = engine_from_url(database_url)
    try:
        deadline = time.monotonic() + limit
        while True:
            reports = route_reports(engine, since)
            if sum(r.compared for r in reports) >= expected or time.monotonic() > deadline:
                return reports
            time.sleep(0.5)
    finally:
        engine.dispose()


def _answers(api: httpx.Client, path: str) -> bool:
    try:
        return api.get(path).status_code == 200
    except httpx.TransportError:
        return False


def drive(proxy: str, database_url: str, rounds: int = 10) -> dict[str, Any]:
    """Shadow the demo's routes, seed, drive the workload; return what was compared."""
    if not proxy.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise SystemExit(f"the demo drives traffic to 127.0.0.1 only, not {proxy}")
    print(strangler("routes", "set", *SHADOWED, "shadow", "--reason", "make demo", "--actor",
                    "make-demo").rstrip())
    with httpx.Client(base_url=proxy, timeout=10) as api:
        deadline = time.monotonic() + 60  # the stack may be starting
        while not _answers(api, "/api/tags"):
            if time.monotonic() > deadline:
                raise SystemExit(f"{proxy} does not answer GET /api/tags")
            time.sleep(0.5)
        time.sleep(1.5)  # every worker has the shadowed table; the probes are recorded
        since = datetime.now(UTC)
        slugs = seed(api, tag=datetime.now(UTC).strftime("%H%M%S"))
        sent = workload(api, slugs, rounds)
    expected = len(ARTICLES) + sent  # the writes of SEEDED_ROUTE and every read
    reports = wait_for_comparisons(database_url, since, expected)
    return {"sent": sent, "expected": expected, "reports": reports}


def describe(result: dict[str, Any], dashboard: str) -> str:
    lines = [f"Sent {result['sent']} reads and {len(ARTICLES)} article writes through the"
             " proxy; shadow mode compared them:", ""]
    width = max(len(r.route) for r in result["reports"]) if result["reports"] else 5
    lines.append(f"  {'ROUTE':<{width}}  COMPARED  MATCH  MISMATCH  PARITY")
    for report in result["reports"]:
        match = report.outcomes.get("match", 0)
        mismatch = report.outcomes.get("mismatch", 0)
        parity = f"{100 * match / report.compared:.1f}%" if report.compared else "-"
        lines.append(f"  {report.route:<{width}}  {report.compared:>8}  {match:>5}  "
                     f"{mismatch:>8}  {parity:>6}")
    seeded = next((r for r in result["reports"] if r.route == SEEDED_ROUTE), None)
    paths = ", ".join(p for p, _ in seeded.top_paths) if seeded and seeded.top_paths else "-"
    lines += ["", EXPLANATION.format(route=SEEDED_ROUTE, paths=paths), "",
              f"Open {dashboard}/ (the account below), or run"
              " `strangler parity report` (with the DATABASE_URL below)."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.demo")
    sub = parser.add_subparsers(dest="command", required=True)
    table = sub.add_parser("table", help="write the demo's route table")
    table.add_argument("target", type=Path)
    run = sub.add_parser("drive", help="shadow, seed and drive the demo's workload")
    run.add_argument("proxy")
    run.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args(argv)
    if args.command == "table":
        demo_table(Path(__file__).resolve().parents[1] / "routes.yaml", args.target)
        return 0
    result = drive(args.proxy.rstrip("/"), os.environ["DATABASE_URL"], args.rounds)
    print(describe(result, args.proxy.rstrip("/") + "/_strangler"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
