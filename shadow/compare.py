"""Compare: judge a candidate Observation against the control's, under a route's Rules."""

from __future__ import annotations

from shadow.clean import clean, clean_pair, same_head
from shadow.coverage import summarize
from shadow.differences import differences
from shadow.document import shown
from shadow.observation import Difference, EscapedWrite, Kind, Observation, Outcome, Result
from shadow.rules import Rules


def compare(control: Observation, candidate: Observation, rules: Rules | None = None) -> Result:
    """Return the Result of comparing ``candidate`` with ``control``.

    - candidate raised: ``timeout`` (a timeout exception), ``escaped_write`` (its dry-run
      seam refused a write that would have outlived the rollback) or ``candidate_error``
      (anything else, a write during a read-only read included);
    - control raised, or both answered 5xx while ``rules.excuse_server_errors``: ``ignored``
      (neither gave a response worth comparing);
    - the same status code with another reason phrase (both known, ``rules.compare_reason``):
      a ``reason`` difference, whatever else matches;
    - byte-equal bodies with equal status and headers: ``match`` without parsing the bodies
      (the documents are then not kept);
    - equal after cleaning: ``match`` (no DeepDiff);
    - otherwise ``mismatch`` with the differences located by DeepDiff, capped by
      ``rules.max_differences``.
    """
    rules = rules or Rules()
    if candidate.exception is not None:
        outcome = (Outcome.TIMEOUT if candidate.timed_out
                   else Outcome.ESCAPED_WRITE if isinstance(candidate.exception, EscapedWrite)
                   else Outcome.CANDIDATE_ERROR)
        return Result(outcome, reason=_describe(candidate.exception))
    if control.exception is not None:
        return Result(Outcome.IGNORED, reason=f"control failed: {_describe(control.exception)}")
    if (
        rules.excuse_server_errors
        and (control.status or 0) >= 500
        and (candidate.status or 0) >= 500
    ):
        return Result(Outcome.IGNORED, reason="both sides answered 5xx")
    # Each judged answer carries its coverage summary (shadow.coverage): compare runs in the
    # Mirror's workers, off the request path, and only the short summary travels to the store.
    reason = _reason_difference(control, candidate, rules)
    if reason is None and same_head(control, candidate, rules):
        return Result(Outcome.MATCH, coverage=summarize(clean(control, rules)))
    left, right = clean_pair(control, candidate, rules)
    if reason is None and left == right:  # documents hold TRUE/FALSE: == is JSON equality
        return Result(Outcome.MATCH, control_doc=left, candidate_doc=right,
                      coverage=summarize(left))
    found, truncated = differences(
        left, right, limit=rules.max_differences, chars=rules.value_chars
    )
    if reason is not None:
        found = [reason, *found]
    if not found:  # cannot happen for unequal documents; never report a mismatch without one
        found = [Difference("body", Kind.CHANGED, shown(left["body"])[:200], None)]
    return Result(
        Outcome.MISMATCH,
        differences=tuple(found),
        truncated=truncated,
        control_doc=left,
        candidate_doc=right,
        coverage=summarize(left),
    )


def _reason_difference(control: Observation, candidate: Observation,
                       rules: Rules) -> Difference | None:
    """Return the difference of the reason phrases of one status code, or None (equal,
    unknown on either side, different codes, or not compared)."""
    if (not rules.compare_reason or control.reason is None or candidate.reason is None
            or control.reason == candidate.reason or control.status != candidate.status):
        return None  # another status is reported at ``status``: its phrase says no more
    return Difference("reason", Kind.CHANGED, control.reason, candidate.reason)


def _describe(exception: BaseException) -> str:
    text = f"{type(exception).__name__}: {exception}"
    return text[:300]
