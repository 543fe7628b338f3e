"""Noise calibration (Diffy's idea): fields that differ between two answers of the control.

If the same request, sent twice to the control, comes back with different values at a field
(a timestamp, a generated id), that field is noise, not a parity problem: it is a candidate
ignore rule for the route. Paths come out generalised (list indices as ``[*]``), ready to
paste under ``ignore:`` in routes.yaml.
"""

from __future__ import annotations

from shadow.clean import clean_pair
from shadow.differences import locate
from shadow.observation import Observation
from shadow.paths import format_path
from shadow.rules import Rules


def calibrate(first: Observation, second: Observation, rules: Rules | None = None) -> list[str]:
    """Return the sorted field paths that differ between two control observations.

    Fields the rules already ignore are not reported; a failed observation yields nothing.
    """
    if first.exception is not None or second.exception is not None:
        return []
    rules = rules or Rules()
    left, right = clean_pair(first, second, rules)
    if left == right:
        return []
    found, _ = locate(left, right, limit=rules.max_differences)
    return sorted({format_path(found_at[0], generalise=True) for found_at in found})
