"""Express-style route patterns and request paths in the form both upstreams will see."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from proxy.schema import METHODS

_LITERAL = re.compile(r"^[A-Za-z0-9._~!$&',;=@-]+$")  # no ()*+?: Express syntax
_PARAM = re.compile(r"^:([A-Za-z_][A-Za-z0-9_]*)$")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_FORBIDDEN_DECODED = frozenset(b"/\\\x00")


class PatternError(ValueError):
    """A route pattern that is not ``METHOD /literal/:param`` form."""


class BadPath(ValueError):
    """A request path that upstreams could read differently from the proxy (400)."""


@dataclass(frozen=True)
class RoutePattern:
    """``GET /api/articles/:slug``: a method and segments (a literal, or None for a param)."""

    method: str
    template: str
    segments: tuple[str | None, ...]

    @classmethod
    def parse(cls, route: str) -> RoutePattern:
        """Parse ``METHOD /path``; literals compare case-insensitively, as Express does."""
        method, _, path = route.strip().partition(" ")
        path = path.strip()
        if method not in METHODS:
            raise PatternError(f"bad method {method!r} (one of {', '.join(METHODS)})")
        if not path.startswith("/"):
            raise PatternError(f"path {path!r} must start with '/'")
        parts = [p for p in path.split("/") if p != ""]
        if "//" in path or (path.endswith("/") and path != "/"):
            raise PatternError(f"path {path!r} has an empty segment")
        segments: list[str | None] = []
        for part in parts:
            if _PARAM.match(part):
                segments.append(None)
            elif _LITERAL.match(part) and part not in (".", ".."):
                segments.append(part.lower())
            else:
                raise PatternError(f"segment {part!r} is neither a literal nor a :param")
        return cls(method, f"{method} {path}", tuple(segments))

    @property
    def shape(self) -> tuple[str, tuple[str | None, ...]]:
        """Return what identifies the operation regardless of parameter names."""
        return self.method, self.segments

    def matches(self, segments: list[str]) -> bool:
        """Return whether the canonical ``segments`` fit this pattern."""
        if len(segments) != len(self.segments):
            return False
        for mine, theirs in zip(self.segments, segments, strict=True):
            if mine is not None and mine != theirs.lower():
                return False
        return True

    def specificity(self) -> tuple[int, ...]:
        """Return a sort key: literal segments (0) before parameters (1), left to right."""
        return tuple(0 if s is not None else 1 for s in self.segments)

    def dominates(self, other: RoutePattern) -> bool:
        """Return whether every literal of ``other`` is also a literal here (we are narrower)."""
        return all(
            theirs is None or mine == theirs
            for mine, theirs in zip(self.segments, other.segments, strict=True)
        )

    def overlaps(self, other: RoutePattern) -> bool:
        """Return whether some path matches both patterns."""
        if len(self.segments) != len(other.segments):
            return False
        return all(
            a is None or b is None or a == b
            for a, b in zip(self.segments, other.segments, strict=True)
        )


def _decode_unreserved(match: re.Match[str]) -> str:
    byte = int(match.group(1), 16)
    if byte in _FORBIDDEN_DECODED:
        raise BadPath("encoded '/', '\\' or NUL in the path")
    return chr(byte) if byte in _UNRESERVED else "%" + match.group(1).upper()


def raw_path(environ: Mapping[str, Any]) -> str:
    """Return the path as the client sent it (still percent-encoded)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:
        return environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
    if not raw.startswith("/"):
        raw = urlsplit(raw).path or "/"
    return raw.partition("?")[0]


def canonical_segments(raw_path: str) -> list[str]:
    """Split a raw (still percent-encoded) path into canonical segments.

    Unreserved characters are decoded (``%74ags`` is ``tags``), other escapes upper-cased;
    empty segments (``//``, a trailing slash) are dropped, as Express's non-strict routing
    ignores them; ``.``/``..`` segments, raw or encoded, and encoded slashes are refused.
    """
    if "\\" in raw_path:
        raise BadPath("backslash in the path")
    segments = []
    for part in raw_path.split("/"):
        if not part:
            continue
        if "%" in part:
            part = _ESCAPE.sub(_decode_unreserved, part)
            if "%" in _ESCAPE.sub("", part):
                raise BadPath("malformed percent-escape in the path")
        if part in (".", ".."):
            raise BadPath("dot segment in the path")
        segments.append(part)
    return segments
