"""Route tables for the tests, generated from the operations the backend implements.

Tests never rewrite the repository's routes.yaml: each builds the table it needs here, as
data (every operation, served and shadowed as the test says), and writes it out as YAML.
``production()`` is the table with the repository's settings, every route on legacy;
tests/unit/proxy/test_routes_file.py checks that the real routes.yaml says the same.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from ruamel.yaml import YAML

_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")  # Werkzeug's <converter:name>
_IMPLIED = frozenset({"HEAD", "OPTIONS"})  # Werkzeug adds them; routes.yaml never lists them

LEGACY = {"url": "http://127.0.0.1:3000", "timeouts": {"connect": 1.0, "read": 10.0, "pool": 1.0}}
SHADOW = {"sample": 1.0, "timeout": 5.0, "max_in_flight": 32, "calibrate": 0.0,
          "ignore": ["body.user.token"]}  # each side signs its own JWT (iat differs)
# What each side sets by itself, per operation: its own clock, and a comment id that a
# dry-run's rolled-back insert still takes from the sequence.
OWN_VALUES = {
    "POST /api/articles": ["body.article.createdAt", "body.article.updatedAt"],
    "PUT /api/articles/:slug": ["body.article.updatedAt"],
    "POST /api/articles/:slug/comments": ["body.comment.id", "body.comment.createdAt",
                                          "body.comment.updatedAt"],
}


@cache
def operations() -> tuple[str, ...]:
    """Return every operation of the backend's URL map in routes.yaml form, in its order:
    ``GET /api/articles/:slug`` for ``/api/articles/<param:slug>``."""
    from backend import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "JWT_SECRET": "route tables are built without a secret"})
    found: list[str] = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = _PARAM.sub(r":\1", rule.rule)
        found.extend(f"{method} {path}" for method in sorted(set(rule.methods or ()) - _IMPLIED))
    return tuple(found)


def writes() -> tuple[str, ...]:
    """Return the operations that change data (every method but GET)."""
    return tuple(route for route in operations() if not route.startswith("GET "))


def table(
    serve: str | Callable[[int, str], str] = "legacy",
    *,
    default: str = "legacy",
    shadow: Mapping[str, Any] | None = None,
    routes: Mapping[str, Mapping[str, Any]] | None = None,
    each: Callable[[str], Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return a route table listing every operation.

    ``serve`` is a side, or ``serve(n, route)`` for the n-th operation; ``shadow`` overrides
    the shadow defaults; ``each(route)`` and then ``routes[route]`` add or override keys of
    a route's entry (``{"shadow": "flask"}``).
    """
    entries = []
    for n, route in enumerate(operations()):
        entry: dict[str, Any] = {"route": route,
                                 "serve": serve(n, route) if callable(serve) else serve}
        if route in OWN_VALUES:
            entry["ignore"] = list(OWN_VALUES[route])
        entry.update(each(route) if each else {})
        entry.update((routes or {}).get(route, {}))
        entries.append(entry)
    unknown = set(routes or {}) - set(operations())
    if unknown:
        raise KeyError(f"not operations of the backend: {sorted(unknown)}")
    return {"legacy": dict(LEGACY), "default": default, "shadow": {**SHADOW, **(shadow or {})},
            "routes": entries}


def production() -> dict[str, Any]:
    """Return the table the repository ships: every operation on legacy, nothing compared."""
    return table()


def dump(document: Mapping[str, Any]) -> str:
    """Return ``document`` as routes.yaml text."""
    yaml = YAML(typ="rt")  # keeps each mapping's order: route, serve, shadow, ...
    out = io.StringIO()
    yaml.dump(dict(document), out)
    return out.getvalue()


def routes_yaml(*args: Any, **kwargs: Any) -> str:
    """Return ``table(*args, **kwargs)`` as routes.yaml text."""
    return dump(table(*args, **kwargs))


def shadowed(timeout: float = 5.0, dry_run: bool = True,
             **shadow: Any) -> dict[str, Any]:
    """Return a table with every operation served by legacy and compared with Flask (writes
    as dry-runs unless ``dry_run`` is false)."""
    write_routes = set(writes())

    def compared(route: str) -> dict[str, Any]:
        entry: dict[str, Any] = {"shadow": "flask"}
        if dry_run and route in write_routes:
            entry["writes"] = "dry-run"
        return entry

    return table(shadow={"timeout": timeout, **shadow}, each=compared)
