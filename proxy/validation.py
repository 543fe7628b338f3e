"""Load routes.yaml and reject, with file, line and key, anything that is not sound."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

import pydantic
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError
from werkzeug.routing import Map

from proxy.lifecycle import CANARY, FLASK, FLASK_ALONE, LEGACY, SHADOW, RouteState
from proxy.patterns import PatternError, RoutePattern
from proxy.schema import RouteFile
from proxy.table import RouteTable
from shadow import RuleError, Rules
from shadow.rules import SETTING_KEYS

_LINE = re.compile(r":(\d+): ")
Shape = tuple[str, tuple[str | None, ...]]


class RouteFileError(ValueError):
    """routes.yaml is invalid; ``problems`` are ``file:line: key: message`` strings."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def backend_shapes(url_map: Map) -> set[Shape]:
    """Return the (method, segments) shapes the backend's URL map implements."""
    shapes: set[Shape] = set()
    for rule in url_map.iter_rules():
        segments = tuple(
            None if part.startswith("<") else part.lower()
            for part in rule.rule.split("/") if part
        )
        for method in rule.methods or ():
            shapes.add((method, segments))
    return shapes


def _line(document: Any, loc: Iterable[Any]) -> tuple[int, str]:
    """Return the 1-based line of the deepest node on ``loc`` and the dotted key path."""
    node, line, keys = document, 1, []
    for part in loc:
        lc = getattr(node, "lc", None)
        if isinstance(node, dict) and part in node:
            if lc is not None:
                line = lc.key(part)[0] + 1
            keys.append(str(part))
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            if lc is not None:
                line = lc.item(part)[0] + 1
            keys[-1:] = [f"{keys[-1] if keys else ''}[{part}]"]
        else:
            continue
        node = node[part]
    return line, ".".join(keys) or "(top level)"


def _line_number(problem: str) -> int:
    """Return the line of a ``file:line: key: message`` problem."""
    match = _LINE.search(problem)
    assert match is not None, problem
    return int(match.group(1))


def parse_document(text: str, filename: str) -> Any:
    """Parse YAML text keeping line information (and comments, for round-trip edits)."""
    try:
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise RouteFileError([f"{filename}:{line}: (yaml): {error.problem}"]) from None


def validate_document(document: Any, filename: str, shapes: set[Shape] | None) -> RouteFile:
    """Validate a parsed document; ``shapes`` (the backend's operations) checks flask routes."""
    if document is None:
        document = {}
    problems = _route_problems(document, filename, shapes)
    try:
        config = RouteFile.model_validate(document)
    except pydantic.ValidationError as error:
        problems = _schema_problems(document, filename, error) + problems
    else:
        problems += _rule_problems(document, filename, config)
        problems += _rollout_problems(document, filename, config)
    problems.sort(key=_line_number)
    if problems:
        raise RouteFileError(problems)
    return config


def _schema_problems(document: Any, filename: str, error: pydantic.ValidationError) -> list[str]:
    grouped: dict[tuple[int, str], list[str]] = {}
    for item in error.errors():
        loc, given = item["loc"], item.get("input")
        if isinstance(given, dict) and any(str(p).startswith("literal[") for p in loc):
            continue  # a mapping given where the union also allows a name: report the mapping
        if not isinstance(given, dict) and (any("Weights" in str(p) for p in loc)
                                            or str(loc[-1]) == "RolloutOverrides"):
            continue
        line, key = _line(document, loc)
        message = "unknown key" if item["type"] == "extra_forbidden" else item["msg"]
        grouped.setdefault((line, key), []).append(message.removeprefix("Value error, "))
    return [
        f"{filename}:{line}: {key}: {'; '.join(dict.fromkeys(messages))}"
        for (line, key), messages in sorted(grouped.items())
    ]


def _rule_problems(document: Any, filename: str, config: RouteFile) -> list[str]:
    """Build each shadowed route's comparison rules; a bad path or header is a problem."""
    problems: list[str] = []
    try:
        Rules.from_settings(config.shadow, None)
    except RuleError as error:
        line, key = _line(document, ("shadow", _rule_setting(error)))
        return [f"{filename}:{line}: {key}: {error}"]
    for index, entry in enumerate(config.routes):
        try:
            Rules.from_settings(config.shadow, entry)
        except RuleError as error:
            line, key = _line(document, ("routes", index, _rule_setting(error)))
            problems.append(f"{filename}:{line}: {key}: {error}")
    return problems


def flask_share(state: RouteState) -> float:
    """Return how much of a route Flask serves in ``state``, as the rollout orders its steps."""
    if state.name.startswith(CANARY + " "):
        return float(state.name.split()[1])
    return {LEGACY: -1.0, SHADOW: 0.0, FLASK: 100.0, FLASK_ALONE: 101.0}[state.name]


def _step_problems(steps: list[str]) -> list[tuple[int | None, str]]:
    """Return (index, message) for each bad step; the steps must move Flask's share up."""
    problems: list[tuple[int | None, str]] = []
    states: list[RouteState] = []
    for index, step in enumerate(steps):
        try:
            states.append(RouteState.parse(step))
        except ValueError as error:
            problems.append((index, str(error)))
            continue
        if len(states) > 1 and flask_share(states[-1]) <= flask_share(states[-2]):
            problems.append((index, f"{states[-1].name} after {states[-2].name}: each step must"
                                    " give Flask a larger share than the one before"))
    if len(steps) < 2:
        problems.append((None, "a plan has at least two steps"))
    return problems


def _rollout_problems(document: Any, filename: str, config: RouteFile) -> list[str]:
    """Check the steps of the default plan and of each route's own plan."""
    places: list[tuple[tuple[Any, ...], list[str]]] = [(("rollout",), config.rollout.steps)]
    for index, entry in enumerate(config.routes):
        if entry.rollout is not None and entry.rollout != "default" and entry.rollout.steps:
            places.append((("routes", index, "rollout"), entry.rollout.steps))
    problems: list[str] = []
    for loc, steps in places:
        for step, message in _step_problems(steps):
            where = (*loc, "steps") if step is None else (*loc, "steps", step)
            line, key = _line(document, where)
            problems.append(f"{filename}:{line}: {key}: {message}")
    return problems


def _rule_setting(error: RuleError) -> str:
    """Return the setting a RuleError names ("route.unordered: ..." -> "unordered")."""
    named = str(error).partition(".")[2]
    return next((key for key in SETTING_KEYS if named.startswith(key)), "ignore")


def _route_problems(document: Any, filename: str, shapes: set[Shape] | None) -> list[str]:
    """Check patterns, duplicates, ambiguity and Flask support on the raw route entries."""
    entries = document.get("routes") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return []
    problems: list[str] = []
    seen: list[tuple[int, RoutePattern]] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("route"), str):
            continue
        line, key = _line(document, ("routes", index, "route"))
        where = f"{filename}:{line}: {key}"
        try:
            pattern = RoutePattern.parse(entry["route"])
        except PatternError as error:
            problems.append(f"{where}: {error}")
            continue
        for other_line, other in seen:
            if other.shape == pattern.shape:
                problems.append(f"{where}: duplicate of {other.template} (line {other_line})")
            elif (other.method == pattern.method and pattern.overlaps(other)
                  and not pattern.dominates(other) and not other.dominates(pattern)):
                problems.append(
                    f"{where}: ambiguous with {other.template} (line {other_line}):"
                    " a path matches both and neither is more specific"
                )
        seen.append((line, pattern))
        serve = entry.get("serve")
        uses_flask = serve == "flask" or (
            isinstance(serve, dict) and isinstance(serve.get("flask"), int) and serve["flask"] > 0
        )
        if uses_flask and shapes is not None and pattern.shape not in shapes:
            serve_line, serve_key = _line(document, ("routes", index, "serve"))
            problems.append(
                f"{filename}:{serve_line}: {serve_key}: the Flask backend does not implement"
                f" {pattern.template}"
            )
    return problems


def load_table(text: str, filename: str, shapes: set[Shape] | None) -> RouteTable:
    """Parse and validate routes.yaml text into a table versioned by its content hash.

    An empty file is refused: it is what a reader sees between an editor's truncate and its
    write, and taking it as "no routes" would switch every route back at once.
    """
    if not text.strip():
        raise RouteFileError([f"{filename}:1: (top level): the file is empty (a table with no"
                              " routes is written `routes: []`)"])
    config = validate_document(parse_document(text, filename), filename, shapes)
    version = hashlib.sha256(text.encode()).hexdigest()[:16]
    return RouteTable(config, version)
