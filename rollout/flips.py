"""Route flips: edit one route of routes.yaml safely and record who did it.

Used by ``strangler routes set`` and by the dashboard. The edit keeps comments and order
(ruamel.yaml round trip), is validated before it is written, replaces the file atomically,
and appends a RouteChange row in the same transaction.
"""

from __future__ import annotations

import fcntl
import io
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from backend.database import db
from proxy.lifecycle import state_name
from proxy.patterns import RoutePattern
from proxy.validation import RouteFileError, Shape, parse_document, validate_document
from rollout.models import RouteChange

_CANARY = re.compile(r"^canary (\d{1,2})$")


@dataclass(frozen=True)
class RouteState:
    """A step of the route lifecycle and the serve/shadow values it stands for."""

    name: str

    @classmethod
    def parse(cls, name: str) -> RouteState:
        """Accept legacy, shadow, canary N (1..99), flask, flask --no-shadow."""
        name = " ".join(name.split())
        match = _CANARY.match(name)
        if name in ("legacy", "shadow", "flask", "flask --no-shadow") or (
            match and 1 <= int(match.group(1)) <= 99
        ):
            return cls(name)
        raise ValueError(f"unknown state {name!r}: legacy, shadow, canary N (1-99), flask,"
                         " flask --no-shadow")

    def values(self) -> tuple[object, object]:
        """Return the (serve, shadow) YAML values of this state."""
        if self.name.startswith("canary "):
            percent = int(self.name.split()[1])
            weights = CommentedMap(flask=percent, legacy=100 - percent)
            weights.fa.set_flow_style()
            return weights, True
        return {
            "legacy": ("legacy", False),
            "shadow": ("legacy", "flask"),
            "flask": ("flask", "legacy"),
            "flask --no-shadow": ("flask", False),
        }[self.name]


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


def _save(path: Path, yaml: YAML, document: object, change: RouteChange,
          shapes: set[Shape] | None) -> RouteChange:
    """Validate the edited document, then write it and its audit row together."""
    out = io.StringIO()
    yaml.dump(document, out)
    new_text = out.getvalue()
    validate_document(parse_document(new_text, str(path)), str(path), shapes)
    db.session.add(change)
    db.session.flush()
    try:
        _write_atomically(path, new_text)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return change


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
        serve, shadow = state.values()
        node["serve"] = serve
        if shadow is False:
            node.pop("shadow", None)
        else:
            node["shadow"] = shadow
        change = RouteChange(route=current.routes[index].route if index < len(current.routes)
                             else wanted.template, from_state=from_state, to_state=state.name,
                             actor=actor, reason=reason)
        return _save(path, yaml, document, change, shapes)


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
        return _save(path, yaml, document, change, shapes)


__all__ = ["RouteFileError", "RouteState", "add_ignore_rules", "flip_route", "state_name"]
