"""Locate what differs between two cleaned documents, with DeepDiff, within caps.

Only called when the fast path found the documents unequal. Paths come out in the
ignore-rule syntax (``body.articles[3].author.following``) so a difference can be pasted
into routes.yaml as an ignore rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from deepdiff import DeepDiff

from shadow.clean import canonical
from shadow.observation import Difference, Kind
from shadow.paths import format_path

# DeepDiff's max_diffs counts every comparison step it makes, not just the differences it
# reports: this bounds the work spent on one pair of documents.
MAX_DIFF_STEPS = 20_000

KINDS = {
    "values_changed": Kind.CHANGED,
    "type_changes": Kind.TYPE_CHANGED,
    "dictionary_item_removed": Kind.MISSING_IN_CANDIDATE,
    "iterable_item_removed": Kind.MISSING_IN_CANDIDATE,
    "dictionary_item_added": Kind.EXTRA_IN_CANDIDATE,
    "iterable_item_added": Kind.EXTRA_IN_CANDIDATE,
}


def differences(
    control: dict[str, Any], candidate: dict[str, Any], *, limit: int = 50, chars: int = 200
) -> tuple[list[Difference], bool]:
    """Return up to ``limit`` differences between the documents, and whether more were cut."""
    found, truncated = locate(control, candidate, limit=limit)
    return [
        Difference(
            path=format_path(keys),
            kind=kind,
            control=_shown(control, keys, chars),
            candidate=_shown(candidate, keys, chars),
        )
        for keys, kind in found
    ], truncated


def locate(
    control: Any, candidate: Any, *, limit: int = 50
) -> tuple[list[tuple[tuple[Any, ...], Kind]], bool]:
    """Return up to ``limit`` (location, kind) pairs, a reordered list counting once."""
    tree = DeepDiff(
        control,
        candidate,
        view="tree",
        threshold_to_diff_deeper=0,
        max_diffs=MAX_DIFF_STEPS,
        cache_size=0,
    )
    found: list[tuple[tuple[Any, ...], Kind]] = []
    for report, levels in tree.items():
        kind = KINDS.get(report)
        if kind is None:
            continue
        for level in levels:
            found.append((tuple(level.path(output_format="list")), kind))
    found.sort(key=lambda item: [str(part) for part in item[0]])
    result: list[tuple[tuple[Any, ...], Kind]] = []
    permutations: dict[tuple[Any, ...], bool] = {}
    for keys, kind in found:
        permuted = _permuted_list(control, candidate, keys, permutations)
        if permuted is None:
            result.append((keys, kind))
        elif (permuted, Kind.ORDER_CHANGED) not in result:
            result.append((permuted, Kind.ORDER_CHANGED))
    capped = bool(tree.get_stats().get("MAX DIFF LIMIT REACHED"))
    return result[:limit], capped or len(result) > limit


def _permuted_list(
    control: Any, candidate: Any, keys: Sequence[Any], seen: dict[tuple[Any, ...], bool]
) -> tuple[Any, ...] | None:
    """Return the path of the outermost list around ``keys`` that is only reordered."""
    for end in range(1, len(keys)):
        if not isinstance(keys[end], int):
            continue
        where = tuple(keys[:end])
        if where not in seen:
            left, right = _get(control, where), _get(candidate, where)
            seen[where] = (
                isinstance(left, list)
                and isinstance(right, list)
                and len(left) == len(right)
                and sorted(map(canonical, left)) == sorted(map(canonical, right))
            )
        if seen[where]:
            return where
    return None


_ABSENT = object()


def _get(document: Any, keys: Sequence[Any]) -> Any:
    node = document
    for key in keys:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return _ABSENT
    return node


def _shown(document: Any, keys: Sequence[Any], chars: int) -> str | None:
    value = _get(document, keys)
    if value is _ABSENT:
        return None
    text = canonical(value)
    return text if len(text) <= chars else text[: chars - 1] + "…"
