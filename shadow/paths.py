"""Field paths: the one syntax shared by ignore rules, unordered lists and differences.

A path starts at ``status``, ``headers.<name>`` or ``body`` and continues with
``.key``, ``["odd key"]``, ``[3]`` (one list element), ``[*]`` (every element),
``.*`` (every key) and ``..key`` (that key at any depth below). Examples:
``body.user.token``, ``body.articles[*].updatedAt``, ``body..createdAt``,
``headers.content-type``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

Step = tuple[str, Any]  # ("key", name) | ("index", n) | ("each", None) | ("any", None)
# | ("deep", name)

ROOTS = ("status", "headers", "body")
IGNORED = "<ignored>"
_TOKEN = re.compile(
    r"\.\.(?P<deep>[^.\[\]]+)"
    r"|\.(?P<any>\*)(?![^.\[])"
    r"|\.(?P<key>[^.\[\]]+)"
    r"|\[(?P<index>\d+)\]"
    r"|\[(?P<each>\*)\]"
    r'|\[(?P<quoted>"(?:[^"\\]|\\.)*")\]'
)
_PLAIN_KEY = re.compile(r'^[^.\[\]"*\s]+$')


@dataclass(frozen=True, slots=True)
class FieldPath:
    """A parsed path pattern: its text and the steps that walk a cleaned document."""

    text: str
    steps: tuple[Step, ...]

    @classmethod
    def parse(cls, text: str) -> FieldPath:
        """Parse ``text`` or raise ValueError naming the path and what is wrong with it."""
        root, dot, rest = text.partition(".")
        root, bracket, tail = root.partition("[")
        if root not in ROOTS:
            raise ValueError(f"field path {text!r} must start with status, headers.<name> or body")
        if root == "status":
            if dot or bracket:
                raise ValueError(f"field path {text!r}: status has no sub-fields")
            return cls(text, (("key", "status"),))
        if root == "headers":
            if not rest or bracket or any(c in rest for c in ".[]*"):
                raise ValueError(f"field path {text!r}: write headers.<name>, e.g. headers.etag")
            return cls(text, (("key", "headers"), ("key", rest.lower())))
        remainder = text[len("body") :]
        steps: list[Step] = [("key", "body")]
        position = 0
        while position < len(remainder):
            match = _TOKEN.match(remainder, position)
            if match is None:
                raise ValueError(f"field path {text!r}: cannot read {remainder[position:]!r}")
            steps.append(_step(match))
            position = match.end()
        return cls(text, tuple(steps))

    def locate(self, document: Any) -> list[tuple[Any, Any]]:
        """Return (container, key) pairs for every place in ``document`` the path matches."""
        return list(_walk(document, self.steps, 0))

    def __str__(self) -> str:
        return self.text


def _step(match: re.Match[str]) -> Step:
    if match["deep"] is not None:
        return ("deep", match["deep"])
    if match["any"] is not None:
        return ("any", None)
    if match["key"] is not None:
        return ("key", match["key"])
    if match["index"] is not None:
        return ("index", int(match["index"]))
    if match["each"] is not None:
        return ("each", None)
    return ("key", json.loads(match["quoted"]))


def _walk(node: Any, steps: Sequence[Step], i: int) -> Iterator[tuple[Any, Any]]:
    kind, arg = steps[i]
    last = i == len(steps) - 1
    if kind == "deep":
        yield from _walk_deep(node, arg, steps, i, last)
        return
    if kind == "key" and isinstance(node, dict) and arg in node:
        keys: Sequence[Any] = (arg,)
    elif kind == "index" and isinstance(node, list) and arg < len(node):
        keys = (arg,)
    elif kind == "each" and isinstance(node, list):
        keys = range(len(node))
    elif kind == "any" and isinstance(node, dict):
        keys = list(node)
    else:
        return
    for key in keys:
        if last:
            yield node, key
        else:
            yield from _walk(node[key], steps, i + 1)


def _walk_deep(node: Any, name: str, steps: Sequence[Step], i: int, last: bool) -> Iterator:
    if isinstance(node, dict):
        if name in node:
            if last:
                yield node, name
            else:
                yield from _walk(node[name], steps, i + 1)
        children: Any = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return
    for child in children:
        yield from _walk_deep(child, name, steps, i, last)


def format_path(keys: Sequence[Any], *, generalise: bool = False) -> str:
    """Write a concrete location (``["body", "articles", 3, "slug"]``) in path syntax.

    With ``generalise`` list indices become ``[*]``.
    """
    if not keys:
        return "body"
    parts = [str(keys[0])]
    for key in keys[1:]:
        if isinstance(key, int):
            parts.append("[*]" if generalise else f"[{key}]")
        else:
            parts.append(_key_text(key))
    return "".join(parts)


@functools.lru_cache(maxsize=4096)
def _key_text(key: str) -> str:
    return f".{key}" if _PLAIN_KEY.match(key) else f"[{json.dumps(key)}]"
