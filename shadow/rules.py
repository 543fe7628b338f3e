"""Comparison rules: which fields are ignored, which lists are unordered, what is compared.

Built from routes.yaml's ``shadow:`` section (global) and a route's own settings::

    shadow:                               # global, applies to every shadowed route
      ignore: [body..createdAt, body..updatedAt, body.user.token]   # value forgiven, shape kept
      # any:<path> forgives anything there, even a missing field (e.g. any:body.comment.id)
      unordered: [body.tags]
      headers: [x-total-count]            # compared in addition to COMPARED_HEADERS
      excuse_server_errors: true          # both sides 5xx -> outcome "ignored"
      compare_reason: true                # status lines' reason phrases compared too
    routes:
      - route: GET /api/articles
        shadow: true
        ignore: [body.articles[*].favoritesCount]
        unordered: [body.articles[*].tagList]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from shadow.layers import setting as _setting
from shadow.paths import FieldPath

# Headers compared by default; every other header is Express/Flask noise.
COMPARED_HEADERS = frozenset(
    {
        "content-type",
        "location",
        "cache-control",
        "vary",
        "www-authenticate",
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
        "access-control-max-age",
    }
)
SETTING_KEYS = ("ignore", "unordered", "headers", "excuse_server_errors", "compare_reason")
ANY = "any:"  # prefix of an ignore rule that forgives anything, even absence


class RuleError(ValueError):
    """A shadow setting in routes.yaml is invalid; the message names the setting and value."""


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything ``clean`` and ``compare`` need to judge one route's responses."""

    ignore: tuple[FieldPath, ...] = ()
    ignore_any: tuple[FieldPath, ...] = ()
    unordered: tuple[FieldPath, ...] = ()
    headers: frozenset[str] = COMPARED_HEADERS
    excuse_server_errors: bool = True
    compare_reason: bool = True  # "422 Unprocessable Entity" differs from "422 UNPROCESSABLE ..."
    max_body_bytes: int = 1_000_000
    max_differences: int = 50
    value_chars: int = 200

    @classmethod
    def from_settings(cls, defaults: Any = None, route: Any = None) -> Rules:
        """Build the rules for one route: global ``defaults`` plus the route's additions.

        Each argument is a mapping (routes.yaml as loaded) or an object with those
        attributes (the proxy's validated models); missing keys mean "nothing to add".
        Lists (ignore, unordered, headers) add up; ``excuse_server_errors`` and
        ``compare_reason`` on the route win.
        Raise RuleError on a bad path or a value of the wrong type.
        """
        rules = cls()
        for where, settings in (("shadow", defaults), ("route", route)):
            rules = rules.extended(
                ignore=_paths(where, "ignore", _setting(settings, "ignore")),
                unordered=_paths(where, "unordered", _setting(settings, "unordered")),
                headers=_names(where, _setting(settings, "headers")),
            )
            excuse = _switch(where, settings, "excuse_server_errors")
            if excuse is not None:
                rules = replace(rules, excuse_server_errors=excuse)
            reason = _switch(where, settings, "compare_reason")
            if reason is not None:
                rules = replace(rules, compare_reason=reason)
        return rules

    def extended(
        self,
        ignore: Iterable[FieldPath | str] = (),
        unordered: Iterable[FieldPath | str] = (),
        headers: Iterable[str] = (),
    ) -> Rules:
        """Return a copy with more ignored paths, unordered lists and compared headers.

        An ignored path keeps its value's shape (shadow.shape); one written ``any:<path>``
        forgives anything, even absence.
        """
        ignore = list(ignore)
        keep = [p for p in ignore if not _any(p)]
        anything = [str(p)[len(ANY) :].strip() for p in ignore if _any(p)]
        return replace(
            self,
            ignore=self.ignore + tuple(_parsed(p) for p in keep),
            ignore_any=self.ignore_any + tuple(_parsed(p) for p in anything),
            # Deepest lists first, so nested unordered lists are sorted before their parents.
            unordered=tuple(
                sorted(
                    self.unordered + tuple(_parsed(p) for p in unordered),
                    key=lambda p: -len(p.steps),
                )
            ),
            headers=self.headers | {name.lower() for name in headers},
        )


def _switch(where: str, settings: Any, key: str) -> bool | None:
    value = _setting(settings, key)
    if value is not None and not isinstance(value, bool):
        raise RuleError(f"{where}.{key} must be true or false")
    return value


def _any(path: FieldPath | str) -> bool:
    return isinstance(path, str) and path.startswith(ANY)


def _parsed(path: FieldPath | str) -> FieldPath:
    return path if isinstance(path, FieldPath) else FieldPath.parse(path)


def _paths(where: str, key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, list):
        raise RuleError(f"{where}.{key} must be a list of field paths, got {value!r}")
    paths = []
    for item in value:
        text = str(item)
        try:
            anything = key == "ignore" and text.startswith(ANY)
            FieldPath.parse(text[len(ANY) :].strip() if anything else text)
            paths.append(text)
        except ValueError as error:
            raise RuleError(f"{where}.{key}: {error}") from None
    return paths


def _names(where: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleError(f"{where}.headers must be a list of header names, got {value!r}")
    return value
