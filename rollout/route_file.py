"""routes.yaml as operators work on it: read it, flip a route, accept noise, read the audit.

The one home of these operations for ``strangler routes ...``, ``strangler parity noise
--accept`` and the dashboard. An edit keeps comments and order (ruamel.yaml round trip), is
validated before it is written, replaces the file atomically, and appends a RouteChange row
in the same transaction. The lifecycle states are proxy.lifecycle's.
"""

from __future__ import annotations

import difflib
import fcntl
import fnmatch
import io
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from backend.database import db
from proxy.lifecycle import FLASK, FLASK_ALONE, LEGACY, RouteState, state_name
from proxy.patterns import RoutePattern
from proxy.schema import RouteEntry, RouteFile
from proxy.validation import RouteFileError, Shape, load_table, parse_document, validate_document
from rollout.models import RouteChange


@dataclass(frozen=True)
class RouteFileView:
    """The routes listed in routes.yaml, or why the file could not be read."""

    entries: dict[str, RouteEntry]
    default: str
    problems: list[str]

    def state_of(self, route: str) -> str:
        """Return a route's lifecycle state; an unlisted route is served by the default side."""
        entry = self.entries.get(route)
        return state_name(entry) if entry is not None else f"default ({self.default})"


def read_routes(path: Path) -> RouteFileView:
    """Read and validate routes.yaml as it is on disk now; problems instead of exceptions."""
    try:
        table = load_table(path.read_text(), str(path), None)
    except OSError as error:
        return RouteFileView({}, "legacy", [f"{path}: {error.strerror}"])
    except RouteFileError as error:
        return RouteFileView({}, "legacy", error.problems)
    entries = {route.template: route.entry for route in table.routes}
    return RouteFileView(entries, table.config.default, [])


def audit_log(limit: int, route: str | None = None) -> list[RouteChange]:
    """Return the newest route changes first, only ``route``'s if given."""
    query = sa.select(RouteChange).order_by(RouteChange.changed_at.desc(), RouteChange.id.desc())
    if route is not None:
        query = query.where(RouteChange.route == route)
    return list(db.session.scalars(query.limit(limit)))

@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path.parent / f".{path.name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _round_trip_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 100
    return yaml


def _save(path: Path, yaml: YAML, document: object, changes: list[RouteChange],
          shapes: set[Shape] | None) -> None:
    """Validate the edited document, then write it and its audit rows together."""
    out = io.StringIO()
    yaml.dump(document, out)
    new_text = out.getvalue()
    validate_document(parse_document(new_text, str(path)), str(path), shapes)
    db.session.add_all(changes)
    db.session.flush()
    try:
        _write_atomically(path, new_text)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


# The audit log's name for an edit of the table's ``default:`` key (not a route).
DEFAULT_ROUTE = "(default)"
_GLOB = frozenset("*?[")


class SelectionError(ValueError):
    """Routes named on the command line that the file does not list (nothing was written)."""


@dataclass(frozen=True)
class Flips:
    """What one ``strangler routes set`` did: audit rows, routes left alone, notes to show."""

    changes: list[RouteChange]
    unchanged: list[str]
    notes: list[str]


def _select(current: RouteFile, selectors: Sequence[str], every: bool) -> list[int]:
    """Return the indexes of the listed routes named, globbed (fnmatch) or all of them.

    A glob (``* /api/articles*``) is matched case-insensitively against each route's
    ``METHOD /path`` as written; a route is matched by its shape (parameter names aside).
    Raises PatternError for a malformed route and SelectionError, naming every selector
    that matches nothing, before anything is written.
    """
    templates = [RoutePattern.parse(e.route).template for e in current.routes]
    if every:
        return list(range(len(templates)))
    shapes = [RoutePattern.parse(e.route).shape for e in current.routes]
    chosen: list[int] = []
    missing: list[str] = []
    for selector in selectors:
        if _GLOB & set(selector):
            hits = [i for i, t in enumerate(templates)
                    if fnmatch.fnmatchcase(t.lower(), " ".join(selector.split()).lower())]
        else:
            shape = RoutePattern.parse(selector).shape
            hits = [i for i, s in enumerate(shapes) if s == shape]
        if not hits:
            close = difflib.get_close_matches(selector, templates, n=1)
            missing.append(f"{selector!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        chosen.extend(i for i in hits if i not in chosen)
    if missing:
        raise SelectionError("no listed route matches " + ", ".join(missing)
                             + "; nothing changed (`strangler routes list` shows the routes)")
    return chosen


def _set_state(node: CommentedMap, state: RouteState) -> None:
    serve, shadow = state.values()
    if isinstance(serve, dict):
        serve = CommentedMap(serve)
        serve.fa.set_flow_style()  # serve: {flask: 25, legacy: 75}
    node["serve"] = serve
    if shadow is False:
        node.pop("shadow", None)
    else:
        node["shadow"] = shadow


def _dry_run_note(node: CommentedMap, template: str, state: RouteState) -> str | None:
    """Drop ``writes: dry-run`` when Flask serves the whole route; say what became of it.

    Dry-run writes are how Flask is compared as a *candidate*; once Flask serves, legacy is
    the candidate (it never receives writes) or nobody is, so the key means nothing.
    """
    if node.get("writes") != "dry-run":
        return None
    if state.name in (FLASK, FLASK_ALONE):
        del node["writes"]
        return f"dropped writes: dry-run from {template}: Flask serves it now"
    if state.name == LEGACY:
        return f"kept writes: dry-run on {template}: it applies again when Flask is compared"
    return f"kept writes: dry-run on {template}: Flask's writes are still mirrored as dry-runs"


def flip_routes(
    path: Path,
    selectors: Sequence[str] = (),
    state: RouteState | None = None,
    *,
    every: bool = False,
    default: str | None = None,
    actor: str,
    reason: str | None = None,
    shapes: set[Shape] | None = None,
) -> Flips:
    """Put the selected routes in ``state`` and/or set ``default:``, in one write.

    ``selectors`` are routes (``GET /api/tags``) or globs (``* /api/articles*``) over the
    listed routes; ``every`` selects them all. The file is validated once, written once, and
    the audit gets one row per changed route (plus one, route ``(default)``, for the
    default) in one transaction. A flip that makes Flask serve a route drops its
    ``writes: dry-run`` (see ``Flips.notes``). Raises SelectionError or PatternError for an
    unknown route or an empty glob and RouteFileError for an invalid result: nothing is
    written then. Must run inside an app context bound to the database.
    """
    yaml = _round_trip_yaml()
    with _locked(path):
        document = parse_document(path.read_text(), str(path))
        current = validate_document(document, str(path), None)
        changes: list[RouteChange] = []
        unchanged: list[str] = []
        notes: list[str] = []
        for index in _select(current, selectors, every) if state is not None else []:
            entry, node = current.routes[index], document["routes"][index]
            from_state = state_name(entry)
            assert state is not None  # routes are selected only with a state
            if from_state == state.name:
                unchanged.append(entry.route)
                continue
            _set_state(node, state)
            note = _dry_run_note(node, entry.route, state)
            if note:
                notes.append(note)
            changes.append(RouteChange(route=entry.route, from_state=from_state,
                                       to_state=state.name, actor=actor, reason=reason))
        if default is not None and default != current.default:
            if "default" in document:
                document["default"] = default
            else:
                position = list(document).index("routes") if "routes" in document else 0
                document.insert(position, "default", default)
            changes.append(RouteChange(route=DEFAULT_ROUTE, from_state=current.default,
                                       to_state=default, actor=actor, reason=reason))
        elif default is not None:
            unchanged.append(DEFAULT_ROUTE)
        if changes:
            _save(path, yaml, document, changes, shapes)
        return Flips(changes, unchanged, notes)


def flip_route(
    path: Path,
    route: str,
    state: RouteState,
    *,
    actor: str,
    reason: str | None = None,
    shapes: set[Shape] | None = None,
) -> RouteChange | None:
    """Put ``route`` in ``state``; return the audit row, or None if it already was there.

    Must run inside an app context bound to the database. Raises RouteFileError if the
    current file or the result is invalid (nothing is written then).
    """
    wanted = RoutePattern.parse(route)
    yaml = _round_trip_yaml()
    with _locked(path):
        text = path.read_text()
        document = parse_document(text, str(path))
        current = validate_document(document, str(path), None)
        entries = document.setdefault("routes", [])
        index = next((i for i, e in enumerate(current.routes)
                      if RoutePattern.parse(e.route).shape == wanted.shape), None)
        if index is None:
            from_state = f"default ({current.default})"
            entries.append(CommentedMap(route=wanted.template))
            index = len(entries) - 1
        else:
            from_state = state_name(current.routes[index])
        if from_state == state.name:
            return None
        node = entries[index]
        template = (current.routes[index].route if index < len(current.routes)
                    else wanted.template)
        _set_state(node, state)
        _dry_run_note(node, template, state)
        change = RouteChange(route=template, from_state=from_state, to_state=state.name,
                             actor=actor, reason=reason)
        _save(path, yaml, document, [change], shapes)
        return change


def add_ignore_rules(
    path: Path,
    route: str,
    rules: list[str],
    *,
    actor: str,
    reason: str | None = None,
    shapes: set[Shape] | None = None,
) -> RouteChange | None:
    """Append shadow ignore ``rules`` to ``route``'s ``ignore:`` list; audit the change.

    Used by ``strangler parity noise ROUTE --accept``. Rules already in the route's list or
    the global ``shadow.ignore`` are skipped; return None when nothing was new. Must run in
    an app context; raises RouteFileError (nothing written) if the result is invalid and
    ValueError if ``route`` is not listed in the file.
    """
    wanted = RoutePattern.parse(route)
    yaml = _round_trip_yaml()
    with _locked(path):
        document = parse_document(path.read_text(), str(path))
        current = validate_document(document, str(path), None)
        index = next((i for i, e in enumerate(current.routes)
                      if RoutePattern.parse(e.route).shape == wanted.shape), None)
        if index is None:
            raise ValueError(f"{wanted.template} is not listed in {path}")
        entry = current.routes[index]
        known = set(entry.ignore) | set(current.shadow.ignore)
        new = [rule for rule in dict.fromkeys(rules) if rule not in known]
        if not new:
            return None
        node = document["routes"][index]
        if "ignore" not in node:
            node["ignore"] = []
        node["ignore"].extend(new)
        state = state_name(entry)
        note = "shadow ignore += " + ", ".join(new) + (f" ({reason})" if reason else "")
        change = RouteChange(route=entry.route, from_state=state, to_state=state, actor=actor,
                             reason=note)
        _save(path, yaml, document, [change], shapes)
        return change


__all__ = ["DEFAULT_ROUTE", "Flips", "RouteFileError", "RouteFileView", "RouteState",
           "SelectionError", "add_ignore_rules", "audit_log", "flip_route", "flip_routes",
           "read_routes", "state_name"]
