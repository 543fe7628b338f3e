"""Replay captured exchanges against a candidate and judge them as live shadow mode does.

Each captured request is sent, in the order it was captured, to the candidate: the Flask
backend of this checkout in-process (on a fresh migrated database, so the captured writes
seed the state the later reads need) or a URL on 127.0.0.1. Its answer is compared with the
captured control response by ``shadow.compare.compare`` (the Mirror's comparison) under the
route's ``Rules`` from routes.yaml (the global ``shadow:`` section plus the route's own).

Credentials: a capture holds pseudonyms, never tokens (shadow.capture). When a candidate's
answer has a string where the captured control answer had a pseudonym (a login's
``user.token``), the fresh value is remembered for that pseudonym; a later request carrying
the pseudonym is sent with the fresh token, and that token in a candidate's answer is shown
to the comparison as its pseudonym again. A request whose pseudonym was never minted in the
replay (its user logged in before the capture began) is skipped and counted, not guessed.
See docs/replay.md.
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from proxy.schema import RouteFile
from shadow import Exchange, Observation, Outcome, Result, Rules
from shadow.capture import Captured
from shadow.capture_redact import PSEUDONYM
from shadow.compare import compare
from shadow.eligibility import SAFE_METHODS
from shadow.groups import DiffGroup, group_results

Candidate = Callable[[Exchange], Observation]
FAILURES = (Outcome.CANDIDATE_ERROR, Outcome.ESCAPED_WRITE, Outcome.TIMEOUT)
COUNTED = ("match", "mismatch", *map(str, FAILURES), "ignored", "skipped")
CAP = 16 * 1024 * 1024
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})
HOP_HEADERS = frozenset({"host", "content-length", "connection", "transfer-encoding"})


@dataclass
class Replayed:
    """One captured exchange sent again: its outcome, or why it was skipped."""

    captured: Captured
    result: Result | None = None
    skipped: str | None = None
    candidate_status: int | None = None

    @property
    def route(self) -> str:
        return self.captured.record.exchange.route

    @property
    def outcome(self) -> str:
        return "skipped" if self.result is None else str(self.result.outcome)

    def as_dict(self) -> dict[str, Any]:
        exchange = self.captured.record.exchange
        control = self.captured.record.control
        return {
            "id": self.captured.id, "route": self.route, "method": exchange.method,
            "target": exchange.target, "request_id": exchange.request_id,
            "outcome": self.outcome, "skipped": self.skipped,
            "reason": self.result.reason if self.result else None,
            "control_status": control.status if control else None,
            "candidate_status": self.candidate_status,
            "differences": [d.as_dict() for d in self.result.differences]
            if self.result else [],
        }


@dataclass
class RouteTotals:
    """How one route's captured exchanges fared."""

    route: str
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def judged(self) -> int:
        """Matches, mismatches and candidate failures: what parity is computed over."""
        return (self.outcomes["match"] + self.outcomes["mismatch"]
                + sum(self.outcomes[str(o)] for o in FAILURES))

    @property
    def parity(self) -> float | None:
        return None if not self.judged else 100.0 * self.outcomes["match"] / self.judged

    def as_dict(self) -> dict[str, Any]:
        counts = {name: self.outcomes[name] for name in COUNTED}
        return {"route": self.route, "replayed": sum(self.outcomes.values()),
                "judged": self.judged, "parity": self.parity, **counts,
                **{k: v for k, v in self.outcomes.items() if k not in counts}}


@dataclass
class Report:
    """The replay of a file: per-route totals, diff groups and every mismatch."""

    replayed: list[Replayed]
    min_parity: float

    @property
    def routes(self) -> list[RouteTotals]:
        totals: dict[str, RouteTotals] = {}
        for item in self.replayed:
            totals.setdefault(item.route, RouteTotals(item.route)).outcomes[item.outcome] += 1
        return sorted(totals.values(), key=lambda t: t.route)

    @property
    def total(self) -> RouteTotals:
        total = RouteTotals("(all)")
        for item in self.replayed:
            total.outcomes[item.outcome] += 1
        return total

    @property
    def failing(self) -> list[RouteTotals]:
        """Routes whose parity is under the threshold."""
        return [t for t in self.routes if t.parity is not None and t.parity < self.min_parity]

    @property
    def passed(self) -> bool:
        return self.total.judged > 0 and not self.failing

    @property
    def groups(self) -> list[DiffGroup]:
        return group_results((item.route, item.result, item.captured.captured_at,
                              str(item.captured.id)) for item in self.replayed
                             if item.result is not None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "min_parity": self.min_parity, "passed": self.passed,
            "total": self.total.as_dict(), "routes": [t.as_dict() for t in self.routes],
            "groups": [g.as_dict() for g in self.groups],
            "not_matching": [item.as_dict() for item in self.replayed
                             if item.outcome not in ("match", "ignored")],
        }


class Tokens:
    """What the candidate minted during a replay where the capture has the control's own.

    Two kinds: credentials (the capture keeps pseudonyms; a fresh token is learned where the
    captured answer had one) and values the route's rules ignore because each side makes its
    own (``createdAt``, a comment's ``id``): a write's fresh value is learned against the
    captured one, shown to later comparisons as the captured one, and a later request naming
    the captured value (``DELETE .../comments/12``) is sent with the fresh one.
    """

    def __init__(self) -> None:
        self.fresh: dict[str, str] = {}  # pseudonym -> fresh credential
        self.minted: dict[tuple[str, str], Any] = {}  # (field name, fresh value) -> captured
        self.segments: dict[str, str] = {}  # captured value -> fresh, in request paths

    def prepare(self, exchange: Exchange) -> tuple[Exchange | None, str | None]:
        """Return the exchange with pseudonyms swapped for fresh tokens, or why it cannot be."""
        headers = []
        for name, value in exchange.headers:
            for found in PSEUDONYM.finditer(value):
                if found[0] not in self.fresh and name.lower() in CREDENTIAL_HEADERS:
                    return None, f"{name} holds a credential not minted in this replay"
            headers.append((name, self._swap(value)))
        body = exchange.body
        if body is not None:
            body = self._swap(body.decode("utf-8", errors="surrogateescape")).encode(
                "utf-8", errors="surrogateescape")
            size = str(len(body))
            headers = [(n, size if n.lower() == "content-length" else v) for n, v in headers]
        path, question, query = exchange.target.partition("?")
        parts = [self.segments.get(part, part) for part in path.split("/")]
        target = self._swap("/".join(parts) + question + query)
        return replace(exchange, headers=tuple(headers), body=body, target=target,
                       path="/".join(self.segments.get(p, p) for p in exchange.path.split("/"))
                       ), None

    def learn(self, control: Observation, candidate: Observation, rules: Rules) -> None:
        """Remember what the candidate answered where the control's answer had a pseudonym,
        and its own values at the paths the rules ignore."""
        left, right = _json(control.body), _json(candidate.body)
        if left is None or right is None:
            return
        self._walk(left, right)
        for path in (*rules.ignore, *rules.ignore_any):
            pairs = zip(path.locate({"body": left}), path.locate({"body": right}), strict=False)
            for (c1, k1), (c2, k2) in pairs:
                captured, fresh = c1[k1], c2[k2]
                if (isinstance(captured, str | int | float) and isinstance(fresh, str | int | float)
                        and not isinstance(fresh, bool) and captured != fresh):
                    self.minted[(str(k2), _text(fresh))] = captured
                    self.segments[_text(captured)] = _text(fresh)

    def disguise(self, candidate: Observation) -> Observation:
        """Return the candidate's answer showing captured values for what it minted."""
        body = candidate.body
        for pseudonym, value in self.fresh.items():
            body = body.replace(value.encode("utf-8"), pseudonym.encode("utf-8"))
        if self.minted:
            document = _json(body)
            if document is not None:
                body = json.dumps(self._restore(document), ensure_ascii=False,
                                  separators=(",", ":")).encode("utf-8")
        return replace(candidate, body=body)

    def _restore(self, node: Any) -> Any:
        if isinstance(node, dict):
            return {key: self.minted.get((str(key), _text(value)), value)
                    if isinstance(value, str | int | float) and not isinstance(value, bool)
                    else self._restore(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self._restore(item) for item in node]
        return node

    def _swap(self, text: str) -> str:
        return PSEUDONYM.sub(lambda m: self.fresh.get(m[0], m[0]), text)

    def _walk(self, left: Any, right: Any) -> None:
        if isinstance(left, dict) and isinstance(right, dict):
            for key, value in left.items():
                if key in right:
                    self._walk(value, right[key])
        elif isinstance(left, list) and isinstance(right, list):
            for a, b in zip(left, right, strict=False):
                self._walk(a, b)
        elif (isinstance(left, str) and isinstance(right, str) and PSEUDONYM.fullmatch(left)
              and right and not PSEUDONYM.fullmatch(right)):
            self.fresh[left] = right


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return None


def rules_by_route(config: RouteFile) -> Callable[[str], Rules]:
    """Return the comparison rules of each route as live shadow mode resolves them."""
    entries = {entry.route: entry for entry in config.routes}
    cache: dict[str, Rules] = {}

    def rules(route: str) -> Rules:
        if route not in cache:
            cache[route] = Rules.from_settings(config.shadow, _entry(entries, route))
        return cache[route]

    return rules


def _entry(entries: dict[str, Any], route: str) -> Any:
    if route in entries:
        return entries[route]
    method, _, path = route.partition(" ")  # routes.yaml may spell the template differently
    for template, entry in entries.items():
        m, _, p = template.partition(" ")
        if m.upper() == method.upper() and p.rstrip("/") == path.rstrip("/"):
            return entry
    return None


def replay(captures: Iterable[Captured], candidate: Candidate, rules: Callable[[str], Rules],
           *, route: str | None = None, min_parity: float = 100.0,
           tokens: Tokens | None = None) -> Report:
    """Send each capture to ``candidate`` in order and compare; ``route`` limits the report
    (other routes' writes are still sent, to seed state; their reads are not)."""
    tokens = tokens or Tokens()
    results = []
    for captured in captures:
        exchange, control = captured.record.exchange, captured.record.control
        reported = route is None or exchange.route == route
        if not reported and exchange.method.upper() in SAFE_METHODS:
            continue
        item = Replayed(captured)
        if control is None or control.exception is not None:
            item.skipped = "the control's answer was not captured"
        else:
            prepared, why = tokens.prepare(exchange)
            if prepared is None:
                item.skipped = why
            else:
                answer = _call(candidate, prepared)
                tokens.learn(control, answer, rules(exchange.route))
                disguised = tokens.disguise(answer)
                if disguised.body != answer.body or b"[REDACTED" in control.body:
                    # Either ETag describes a body no longer at hand (redacted, or holding
                    # minted values): compare it as weak/strong only, as for unequal bodies.
                    control, disguised = _etag_kind(control), _etag_kind(disguised)
                answer = disguised
                item.candidate_status = answer.status
                try:
                    item.result = compare(control, answer, rules(exchange.route))
                except Exception as error:  # the Mirror records the same as candidate_error
                    item.result = Result(Outcome.CANDIDATE_ERROR,
                                         reason=f"could not compare: {error!r}"[:300])
        if reported:
            results.append(item)
    return Report(results, min_parity)


def _etag_kind(observation: Observation) -> Observation:
    headers = observation.headers
    pairs = headers.items() if hasattr(headers, "items") else headers
    kept = [(name, ('W/"replayed"' if value.strip().startswith("W/") else '"replayed"')
             if name.lower() == "etag" else value) for name, value in pairs]
    return replace(observation, headers=kept)


def _call(candidate: Candidate, exchange: Exchange) -> Observation:
    try:
        return candidate(exchange)
    except Exception as error:
        return Observation.failed(error)


def flask_candidate(database_url: str | None) -> Candidate:
    """Return a candidate calling this checkout's backend in-process on ``database_url``
    (None: a fresh SQLite database in a temporary folder), migrated first."""
    from backend import create_app as create_backend
    from backend.database import database_url as sqlalchemy_url
    from proxy.mirror_sides import call_flask

    if database_url is None:
        folder = Path(tempfile.mkdtemp(prefix="strangler-replay-"))
        database_url = f"sqlite:///{folder / 'replay.sqlite'}"
    migrate(database_url)
    app = create_backend({"SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database_url)})

    def call(exchange: Exchange) -> Observation:
        return call_flask(app, exchange, cap=CAP)

    return call


def migrate(database_url: str) -> None:
    """Bring a database to the newest revision of every branch (``strangler db upgrade``)."""
    from flask import Flask
    from flask_migrate import upgrade

    from backend.database import database_url as sqlalchemy_url
    from backend.database import db
    from proxy.database import init_database

    app = Flask("replay-migrate")
    app.config["SQLALCHEMY_DATABASE_URI"] = sqlalchemy_url(database_url)
    init_database(app)
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()


def url_candidate(base_url: str, timeout: float = 10.0) -> Candidate:
    """Return a candidate sending each request over HTTP to ``base_url``."""
    import time

    import httpx

    client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def call(exchange: Exchange) -> Observation:
        headers = [(n, v) for n, v in exchange.headers if n.lower() not in HOP_HEADERS]
        started = time.perf_counter()
        response = client.request(exchange.method, exchange.target, headers=headers,
                                  content=exchange.body)
        return Observation(response.status_code, list(response.headers.multi_items()),
                           response.content, time.perf_counter() - started)

    return call


def lines(report: Report, top: int = 3) -> list[str]:
    """Return the report as text: a row per route, then the diff groups."""
    header = ("route", "replayed", "match", "mismatch", "failed", "ignored", "skipped",
              "parity %")
    rows = [header]
    for t in [*report.routes, report.total]:
        o = t.outcomes
        rows.append((t.route, str(sum(o.values())), str(o["match"]), str(o["mismatch"]),
                     str(sum(o[str(f)] for f in FAILURES)), str(o["ignored"]),
                     str(o["skipped"]), "-" if t.parity is None else f"{t.parity:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    out = ["  ".join([row[0].ljust(widths[0])]
                     + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]).rstrip()
           for row in rows]
    groups = report.groups
    if groups:
        out += ["", "Differences, grouped (route; differing paths; kinds):"]
        out += [f"  {g.count:>5}  {g.describe()}  (e.g. capture {', '.join(g.samples[:top])})"
                for g in groups]
    skipped = Counter(item.skipped for item in report.replayed if item.skipped)
    if skipped:
        out += ["", "Skipped:"] + [f"  {n:>5}  {why}" for why, n in skipped.most_common()]
    verdict = "PASS" if report.passed else "FAIL"
    failing = ", ".join(f"{t.route} {t.parity:.1f}%" for t in report.failing
                        if t.parity is not None)
    out += ["", f"{verdict}: parity threshold {report.min_parity}%"
            + (f"; under it: {failing}" if failing else "")
            + ("" if report.total.judged else "; nothing was compared")]
    return out


def show(item: Replayed) -> Sequence[str]:
    """Return one re-run exchange's fresh diff as text."""
    data = item.as_dict()
    out = [f"capture {data['id']}  {data['method']} {data['target']}  ({data['route']})",
           f"outcome: {data['outcome']}  control {data['control_status']}"
           f"  candidate {data['candidate_status']}"]
    if data["skipped"] or data["reason"]:
        out.append(f"  {data['skipped'] or data['reason']}")
    for d in data["differences"]:
        out += [f"  {d['path']}  [{d['kind']}]",
                f"    control:   {'(absent)' if d['control'] is None else d['control']}",
                f"    candidate: {'(absent)' if d['candidate'] is None else d['candidate']}"]
    return out


def rerun(engine: Any, rid: str, rules: Callable[[str], Rules],
          candidate: Candidate | None = None, *, token: str | None = None) -> Replayed | None:
    """Re-run stored capture ``rid`` (its id or request id) and return the fresh outcome.

    Without ``candidate``, the backend runs in-process on ``engine``'s database as live shadow
    mode calls it: reads in a read-only transaction, writes as rolled-back dry-runs (the
    signed markers of proxy.dryrun). ``token`` stands in for every pseudonymised credential.
    """
    from shadow.capture import CaptureStore

    found = CaptureStore(engine).find(rid)
    if found is None:
        return None
    tokens = Tokens()
    if token:
        for _name, value in found.record.exchange.headers:
            for pseudonym in PSEUDONYM.finditer(value):
                tokens.fresh[pseudonym[0]] = token
    if candidate is not None:
        return replay([found], candidate, rules, tokens=tokens).replayed[0]
    live = LiveBackend(engine.url.render_as_string(hide_password=False))
    try:
        return replay([found], live, rules, tokens=tokens).replayed[0]
    finally:
        live.close()


class LiveBackend:
    """This checkout's backend in-process on a live database, called as shadow mode does."""

    def __init__(self, database_url: str) -> None:
        from backend import create_app as create_backend

        self.app = create_backend({"SQLALCHEMY_DATABASE_URI": database_url})

    def __call__(self, exchange: Exchange) -> Observation:
        from proxy.dryrun import dry_run_marker, read_only_marker
        from proxy.mirror_sides import call_flask

        sign = read_only_marker if exchange.method.upper() in SAFE_METHODS else dry_run_marker
        return call_flask(self.app, exchange, cap=CAP, marker=sign(self.app.config))

    def close(self) -> None:
        """Close the backend's connections (its engine belongs to this object's app)."""
        from backend.database import db

        with self.app.app_context():
            db.engine.dispose()


def routes_config(path: Path) -> RouteFile:
    """Read and validate a routes.yaml (raises OSError or RouteFileError)."""
    from proxy.validation import load_table

    return load_table(path.read_text(encoding="utf-8"), str(path), None).config
