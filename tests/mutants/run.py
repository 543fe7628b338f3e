"""Run the unmodified backend and each mutant through shadow mode against real processes.

For each run: copy the Python packages to a scratch directory and apply the mutant there, make
a fresh PostgreSQL database from a migrated template, start real legacy (Node, from the
repository) and the real proxy (gunicorn with deploy/gunicorn.conf.py, cwd and PYTHONPATH at
the copy) with every route legacy-served and Flask-shadowed (writes as dry-runs), drive the
workload, wait until the parity store settles and judge from its rows (tests.mutants.verdict).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg
import sqlalchemy as sa
import yaml
from psycopg import sql

from shadow import engine_from_url, schema
from tests.mutants import workload
from tests.mutants.catalog import Mutant
from tests.mutants.patching import Stale, apply, check, copy_packages
from tests.mutants.verdict import FAILED, STALE, Verdict, classify, median_candidate_ratio
from tests.support.databases import migrate, postgres_server_url
from tests.support.processes import REPO_ROOT, ServerProcess, legacy_process, proxy_process

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"


def shadowed_table(source: Path = REPO_ROOT / "routes.yaml", timeout: float = 5.0) -> str:
    """Return routes.yaml with every listed route legacy-served and Flask-compared.

    Built from the parsed list of routes: unsafe methods mirror as dry-runs; everything else
    (legacy settings, shadow defaults, ignore rules) stays as the repository has it.
    """
    table = yaml.safe_load(source.read_text())
    table.setdefault("shadow", {})["timeout"] = timeout
    for entry in table["routes"]:
        method = entry["route"].split()[0]
        entry["serve"] = "legacy"
        entry["shadow"] = "flask"
        if method not in SAFE_METHODS:
            entry["writes"] = "dry-run"
    return yaml.safe_dump(table, sort_keys=False, allow_unicode=True)


class Databases:
    """Fresh databases cloned from one migrated template (CREATE DATABASE ... TEMPLATE)."""

    def __init__(self) -> None:
        self.server_url = postgres_server_url()
        # STRANGLER_MUTANTS_DB_PREFIX: a shared server's owner-named databases (e.g. a helper's)
        prefix = os.environ.get("STRANGLER_MUTANTS_DB_PREFIX", "strangler_mut")
        self.prefix = f"{prefix}{uuid.uuid4().hex[:6]}"
        self.template = f"{self.prefix}_template"
        self.names: list[str] = []

    def url(self, name: str) -> str:
        return self.server_url.rsplit("/", 1)[0] + "/" + name

    def _execute(self, statement: sql.Composable) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as connection:
            connection.execute(statement)

    def prepare(self) -> None:
        self._execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.template)))
        self.names.append(self.template)
        migrate(self.url(self.template))

    def create(self) -> str:
        name = f"{self.prefix}_{len(self.names)}"
        self._execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(self.template)))
        self.names.append(name)
        return self.url(name)

    def drop(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))
        if name in self.names:
            self.names.remove(name)

    def drop_all(self) -> None:
        for name in list(reversed(self.names)):
            self.drop(self.url(name))


def mutant_proxy(root: Path, database_url: str, legacy_url: str, scratch: Path,
                 log_dir: Path) -> ServerProcess:
    """Return (not started) the real proxy on the copy at ``root`` (its backend: the copy's)."""
    routes = scratch / "routes.yaml"
    routes.write_text(shadowed_table(root / "routes.yaml"))
    metrics = scratch / "metrics"
    metrics.mkdir(exist_ok=True)
    return proxy_process(routes, database_url, log_dir, metrics, name="mutant-proxy", root=root,
                         LEGACY_URL=legacy_url, WEB_CONCURRENCY="1", GUNICORN_THREADS="16")


def store_rows(database_url: str) -> tuple[list[dict], list[dict]]:
    """Return the parity store's comparisons and differences."""
    engine = engine_from_url(database_url)
    try:
        with engine.connect() as connection:
            comparisons = [dict(row) for row in connection.execute(sa.select(
                schema.comparisons.c.id, schema.comparisons.c.route,
                schema.comparisons.c.outcome, schema.comparisons.c.control_ms,
                schema.comparisons.c.candidate_ms)).mappings()]
            differences = [dict(row) for row in connection.execute(sa.select(
                schema.differences.c.comparison_id, schema.differences.c.route,
                schema.differences.c.path)).mappings()]
    finally:
        engine.dispose()
    return comparisons, differences


def settle(database_url: str, limit: float = 30.0, quiet: float = 1.5) -> None:
    """Wait until the store's comparison count stops growing (bounded by ``limit``)."""
    deadline, last = time.monotonic() + limit, -1
    while time.monotonic() < deadline:
        count = len(store_rows(database_url)[0])
        if count == last:
            return
        last = count
        time.sleep(quiet)


@dataclass
class RunResult:
    name: str
    mutant_class: str
    verdict: str
    route: str
    path: str
    comparisons_needed: int | None
    comparisons: int
    mismatches: int
    requests: int
    seconds: float
    latency_ratio: float | None
    expected: str
    note: str
    findings: list[tuple[str, str]]
    outcomes: dict[str, int]


class Harness:
    """Runs the baseline and mutants one after another on template-cloned databases."""

    def __init__(self, log_dir: Path = ARTIFACTS, clients: int = 1,
                 scenarios: bool = False) -> None:
        self.log_dir = log_dir
        self.clients = clients
        self.scenarios = scenarios
        self.databases = Databases()
        self.noise: set[tuple[str, str]] = set()
        self.baseline_latency: dict[str, float] = {}

    def __enter__(self) -> Harness:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.databases.prepare()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.databases.drop_all()

    def run(self, mutant: Mutant | None, clients: int | None = None) -> RunResult:
        """Run the workload on the unmodified backend (``None``) or on ``mutant``."""
        clients = clients or self.clients
        name = mutant.name if mutant else f"(baseline, {clients} client{'s' * (clients > 1)})"
        started = time.monotonic()
        if mutant is not None:
            try:
                check(mutant, REPO_ROOT)
            except Stale as stale:
                return self._result(name, mutant, Verdict(STALE, note=str(stale)), 0, started)
        with tempfile.TemporaryDirectory(prefix="strangler-mutant-") as scratch_name:
            scratch = Path(scratch_name)
            root = copy_packages(REPO_ROOT, scratch / "repo")
            if mutant is not None:
                apply(mutant, root)
            database = self.databases.create()
            legacy = proxy = None
            try:
                legacy = legacy_process(database, self.log_dir).start()
                proxy = mutant_proxy(root, database, legacy.url, scratch, self.log_dir).start()
                requests = workload.run(proxy.url, database, clients)
                if self.scenarios:
                    from tests.integration.shadow_proxy.scenarios import run_all

                    requests += run_all(proxy.url, self.log_dir / "mutant-scenarios.jsonl")
                settle(database)
                comparisons, differences = store_rows(database)
            except Exception as error:  # a mutant that breaks start-up is a finding too
                tail = proxy.log()[-600:] if proxy else ""
                verdict = Verdict(FAILED, note=f"{type(error).__name__}: {error} {tail}"[:800])
                return self._result(name, mutant, verdict, 0, started)
            finally:
                for server in (proxy, legacy):
                    if server is not None:
                        # past gunicorn's graceful_timeout (10 s): a loaded machine's shutdown
                        # must not end the whole run
                        server.stop(timeout=30.0)
                self.databases.drop(database)
        verdict = classify(mutant, comparisons, differences, self.noise, self.baseline_latency)
        if mutant is None and clients == 1:
            self.noise = set(verdict.findings)
            self.baseline_latency = median_candidate_ratio(comparisons, ("*",))
        return self._result(name, mutant, verdict, requests, started)

    def _result(self, name: str, mutant: Mutant | None, verdict: Verdict, requests: int,
                started: float) -> RunResult:
        expected = ""
        if mutant is not None:
            expected = f"{' | '.join(mutant.routes)} @ {' | '.join(mutant.paths)}"
        return RunResult(
            name=name, mutant_class=mutant.mutant_class if mutant else "baseline",
            verdict=verdict.verdict, route=verdict.route, path=verdict.path,
            comparisons_needed=verdict.comparisons_needed, comparisons=verdict.comparisons,
            mismatches=verdict.mismatches, requests=requests,
            seconds=round(time.monotonic() - started, 1), latency_ratio=verdict.latency_ratio,
            expected=expected, note=verdict.note or (mutant.why if mutant else ""),
            findings=verdict.findings[:12], outcomes=verdict.outcomes)


def table(results: Sequence[RunResult]) -> str:
    """Render results as a Markdown table."""
    lines = ["| mutant | class | verdict | route and path reported | comparisons needed |"
             " compared | mismatches |", "|---|---|---|---|---|---|---|"]
    for r in results:
        where = f"`{r.route}` `{r.path}`" if r.route else ""
        needed = "" if r.comparisons_needed is None else str(r.comparisons_needed)
        lines.append(f"| {r.name} | {r.mutant_class} | {r.verdict} | {where} | {needed} |"
                     f" {r.comparisons} | {r.mismatches} |")
    return "\n".join(lines)


def run_all(mutants: Sequence[Mutant], *, clients: int = 1, baseline_clients: Sequence[int] = (1,),
            scenarios: bool = False, output: Path | None = None,
            progress: Callable[[RunResult], None] = lambda _r: None) -> list[RunResult]:
    """Run the baselines, then every mutant; write JSON to ``output`` when given."""
    results: list[RunResult] = []
    with Harness(clients=clients, scenarios=scenarios) as harness:
        for count in baseline_clients:
            results.append(harness.run(None, count))
            progress(results[-1])
        for mutant in mutants:
            results.append(harness.run(mutant))
            progress(results[-1])
            if output is not None:
                _write(output, results)
    if output is not None:
        _write(output, results)
    return results


def _write(output: Path, results: Sequence[RunResult]) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    machine = {"cpus": os.cpu_count(), "load": os.getloadavg()}
    output.write_text(json.dumps({"machine": machine, "results": [asdict(r) for r in results]},
                                 indent=1, ensure_ascii=False))
