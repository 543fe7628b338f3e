"""Locate what differs between two cleaned documents: narrow down cheaply, DeepDiff the rest.

Only called when the fast path found the documents unequal. A parallel walk skips every
equal subtree with one C-speed ``==`` (documents hold TRUE/FALSE, see shadow.document) and
reports changed scalars, missing and extra keys and reordered lists itself. Lists of
different lengths are aligned with difflib on the elements' canonical text; only the blocks
that were replaced by a different number of elements go to DeepDiff (about 1.6 s per MB),
with a cap on its steps. Paths come out in the ignore-rule syntax
(``body.articles[3].author.following``), ready to paste into routes.yaml as ignore rules.
"""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher
from typing import Any

from shadow.document import NonFinite, Number, canonical, plain, shown
from shadow.observation import Difference, Kind
from shadow.paths import format_path
from shadow.shape import Shape

# DeepDiff's max_diffs counts every comparison step it makes, not just the differences it
# reports: this bounds the work spent on one pair of subtrees.
MAX_DIFF_STEPS = 20_000
KINDS = {
    "values_changed": Kind.CHANGED,
    "type_changes": Kind.TYPE_CHANGED,
    "dictionary_item_removed": Kind.MISSING_IN_CANDIDATE,
    "iterable_item_removed": Kind.MISSING_IN_CANDIDATE,
    "dictionary_item_added": Kind.EXTRA_IN_CANDIDATE,
    "iterable_item_added": Kind.EXTRA_IN_CANDIDATE,
}
ABSENT = object()
# Fields that identify the elements of a list, in order of preference (Conduit's articles,
# comments, profiles); lists without one are aligned by position or by whole elements.
IDENTITY_KEYS = ("slug", "id", "username")
Found = tuple[tuple[Any, ...], Kind, Any, Any]  # location, kind, control value, candidate value


class _Capped(Exception):
    """Raised inside the walk once enough differences are found."""


def differences(
    control: dict[str, Any], candidate: dict[str, Any], *, limit: int = 50, chars: int = 200
) -> tuple[list[Difference], bool]:
    """Return up to ``limit`` differences between the documents, and whether more were cut."""
    found, truncated = locate(control, candidate, limit=limit)
    result = []
    for keys, kind, left, right in found:
        shown = _shown(left, chars), _shown(right, chars)
        points = code_points(left, right)
        if points is not None:
            shown = f"{shown[0]} ({points[0]})", f"{shown[1]} ({points[1]})"
        result.append(Difference(format_path(keys), kind, *shown))
    return result, truncated


def code_points(left: Any, right: Any, limit: int = 12) -> tuple[str, str] | None:
    """For two strings that differ invisibly, the code points where they differ.

    Invisibly: equal once normalised (NFKC), without format characters (zero-width space,
    joiners, BOM) and with whitespace runs as one space; e.g. NFC vs NFD, a trailing space,
    a non-breaking space. Return e.g. ``("U+0065 U+0301 at 3", "U+00E9 at 3")``, or None.
    """
    if type(left) is not str or type(right) is not str or left == right:
        return None
    if _visible(left) != _visible(right):
        return None
    start = 0
    while start < min(len(left), len(right)) and left[start] == right[start]:
        start += 1
    end = 0
    while end < min(len(left), len(right)) - start and left[-1 - end] == right[-1 - end]:
        end += 1
    return tuple(  # type: ignore[return-value]
        _points(text[start : len(text) - end], start, limit) for text in (left, right)
    )


def _visible(text: str) -> str:
    kept = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return " ".join(unicodedata.normalize("NFKC", kept).split())


def _points(part: str, start: int, limit: int) -> str:
    if not part:
        return f"nothing at {start}"
    points = " ".join(f"U+{ord(c):04X}" for c in part[:limit])
    return f"{points}{' …' if len(part) > limit else ''} at {start}"


def locate(control: Any, candidate: Any, *, limit: int = 50) -> tuple[list[Found], bool]:
    """Return up to ``limit`` differences in document order, and whether more were cut."""
    walk = _Walk(limit)
    try:
        walk.compare((), control, candidate)
    except _Capped:
        walk.truncated = True
    return walk.found[:limit], walk.truncated


class _Walk:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.found: list[Found] = []
        self.truncated = False

    def add(self, keys: tuple[Any, ...], kind: Kind, left: Any, right: Any) -> None:
        if len(self.found) >= self.limit:
            raise _Capped
        self.found.append((keys, kind, left, right))

    def compare(self, keys: tuple[Any, ...], left: Any, right: Any) -> None:
        if isinstance(left, dict) and isinstance(right, dict):
            for key, value in left.items():
                if key not in right:
                    self.add((*keys, key), Kind.MISSING_IN_CANDIDATE, value, ABSENT)
                elif value != right[key]:
                    self.compare((*keys, key), value, right[key])
            for key, value in right.items():
                if key not in left:
                    self.add((*keys, key), Kind.EXTRA_IN_CANDIDATE, ABSENT, value)
        elif isinstance(left, list) and isinstance(right, list):
            self.compare_lists(keys, left, right)
        elif type(left) is Shape and type(right) is Shape and left.json_type != right.json_type:
            self.add(keys, Kind.TYPE_CHANGED, left, right)
        elif type(left) is type(right) or _numbers(left, right):
            self.add(keys, Kind.CHANGED, left, right)
        else:
            self.add(keys, Kind.TYPE_CHANGED, left, right)

    def compare_lists(self, keys: tuple[Any, ...], left: list, right: list) -> None:
        if len(left) == len(right):
            moved = [i for i, (a, b) in enumerate(zip(left, right, strict=True)) if a != b]
            if _reordered([left[i] for i in moved], [right[i] for i in moved]):
                self.add(keys, Kind.ORDER_CHANGED, left, right)
                return
        name = _identity(left, right)
        if name is not None:
            lids = [canonical(item[name]) for item in left]
            rids = [canonical(item[name]) for item in right]
            if lids != rids and set(lids) & set(rids):
                self.align(keys, left, right, name, lids, rids)
                return
        if len(left) == len(right):
            for i in moved:
                self.compare((*keys, i), left[i], right[i])
            return
        matcher = SequenceMatcher(
            None, [canonical(x) for x in left], [canonical(x) for x in right], autojunk=False
        )
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            if tag == "delete":
                for i in range(i1, i2):
                    self.add((*keys, i), Kind.MISSING_IN_CANDIDATE, left[i], ABSENT)
            elif tag == "insert":
                for j in range(j1, j2):
                    self.add((*keys, j), Kind.EXTRA_IN_CANDIDATE, ABSENT, right[j])
            elif i2 - i1 == j2 - j1:
                for offset in range(i2 - i1):
                    self.compare((*keys, i1 + offset), left[i1 + offset], right[j1 + offset])
            else:
                self.deepdiff(keys, left[i1:i2], right[j1:j2], i1, j1)

    def align(
        self,
        keys: tuple[Any, ...],
        left: list,
        right: list,
        name: str,
        lids: list[str],
        rids: list[str],
    ) -> None:
        """Pair the elements of two lists by identity (slug, id, username), not by position.

        A page shifted by one reads as one element missing and one extra; the same elements
        in another order as ``order_changed`` plus what changed inside each; elements with
        the same identity are compared field by field (at the control's index).
        """
        if sorted(lids) == sorted(rids):
            order = [item[name] for item in left], [item[name] for item in right]
            self.add(keys, Kind.ORDER_CHANGED, *order)
            where = {identity: j for j, identity in enumerate(rids)}
            for i, identity in enumerate(lids):
                if left[i] != right[where[identity]]:
                    self.compare((*keys, i), left[i], right[where[identity]])
            return
        matcher = SequenceMatcher(None, lids, rids, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
                for offset in range(i2 - i1):
                    a, b = left[i1 + offset], right[j1 + offset]
                    if a != b:
                        self.compare((*keys, i1 + offset), a, b)
                continue
            for i in range(i1, i2):
                self.add((*keys, i), Kind.MISSING_IN_CANDIDATE, left[i], ABSENT)
            for j in range(j1, j2):
                self.add((*keys, j), Kind.EXTRA_IN_CANDIDATE, ABSENT, right[j])

    def deepdiff(self, keys: tuple[Any, ...], left: list, right: list, i1: int, j1: int) -> None:
        """Let DeepDiff align two differing slices of a list (starting at i1 and j1)."""
        # Imported on first use (a tenth of a second): every `strangler` command imports
        # this package, and only lists that differ by more than replaced items need it.
        from deepdiff import DeepDiff

        tree = DeepDiff(
            plain(left),
            plain(right),
            view="tree",
            threshold_to_diff_deeper=0,
            max_diffs=MAX_DIFF_STEPS,
            cache_size=0,
        )
        if tree.get_stats().get("MAX DIFF LIMIT REACHED"):
            self.truncated = True
        located = [
            (level.path(output_format="list"), KINDS[report], level.t1, level.t2)
            for report, levels in tree.items()
            if report in KINDS
            for level in levels
        ]
        for inner, kind, a, b in sorted(located, key=lambda item: [str(p) for p in item[0]]):
            start = j1 if kind is Kind.EXTRA_IN_CANDIDATE else i1
            where = (*keys, inner[0] + start, *inner[1:])
            self.add(where, kind, _present(a), _present(b))


def _identity(left: list, right: list) -> str | None:
    """Return the field that identifies every element of both lists, if there is one."""
    if not left or not right or type(left[0]) is not dict:
        return None
    for name in IDENTITY_KEYS:
        if all(_unique(items, name) for items in (left, right)):
            return name
    return None


def _unique(items: list, name: str) -> bool:
    seen = set()
    for item in items:
        if type(item) is not dict:
            return False
        value = item.get(name, ABSENT)
        if type(value) not in (str, int) or value in seen:
            return False
        seen.add(value)
    return True


def _reordered(left: list, right: list) -> bool:
    """Tell whether two (equally long) lists hold the same elements in another order."""
    if len(left) < 2:
        return False
    if len(left) <= 16 and not all(any(a == b for b in right) for a in left):
        return False  # cheap rejection with C-speed ==, before writing any canonical text
    return sorted(map(canonical, left)) == sorted(map(canonical, right))


def _numbers(left: Any, right: Any) -> bool:
    return all(
        isinstance(v, int | float | Number | NonFinite) and not isinstance(v, bool)
        for v in (left, right)
    )


def _present(value: Any) -> Any:
    return ABSENT if type(value).__name__ == "NotPresent" else value


def _shown(value: Any, chars: int) -> str | None:
    if value is ABSENT:
        return None
    text = shown(value)
    return text if len(text) <= chars else text[: chars - 1] + "…"
