"""What one side did (Observation) and what the comparison concluded (Result)."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Headers = Mapping[str, str] | Iterable[tuple[str, str]]


class Outcome(enum.StrEnum):
    """The verdict recorded for one mirrored request."""

    MATCH = "match"
    MISMATCH = "mismatch"
    IGNORED = "ignored"
    CANDIDATE_ERROR = "candidate_error"
    ESCAPED_WRITE = "escaped_write"  # a dry-run write that would have outlived its rollback
    TIMEOUT = "timeout"
    SKIPPED_UNSAFE = "skipped_unsafe"
    SKIPPED_OVERLOAD = "skipped_overload"
    CONCURRENT_WRITE = "concurrent_write"  # another write to the same resource overlapped


class Kind(enum.StrEnum):
    """How a field differs between control and candidate."""

    CHANGED = "changed"
    TYPE_CHANGED = "type_changed"
    MISSING_IN_CANDIDATE = "missing_in_candidate"
    EXTRA_IN_CANDIDATE = "extra_in_candidate"
    ORDER_CHANGED = "order_changed"


class CandidateWrote(Exception):
    """The candidate wrote where it must not, as its dry-run seam reported (never the control)."""


class WroteDuringRead(CandidateWrote):
    """A mirrored read tried to write (its read-only transaction refused): ``candidate_error``."""


class EscapedWrite(CandidateWrote):
    """A dry-run's write or commit would have escaped its rollback: ``escaped_write``."""


@dataclass(frozen=True, slots=True)
class Observation:
    """Record one side's outcome: status (and its reason phrase), headers, body bytes,
    duration, or the exception.

    ``headers`` is a mapping or a list of (name, value) pairs (repeated names allowed);
    ``duration`` is in seconds. An observation with ``exception`` set has no response.
    """

    status: int | None = None
    headers: Headers = ()
    body: bytes = b""
    duration: float | None = None
    exception: BaseException | None = None
    # A dry-run candidate's row changes, as its seam reported them (shadow.effects).
    effects: Any = field(default=None, repr=False, compare=False)
    # The status line's reason phrase as sent ("Unprocessable Entity"); None: not known
    # (compared only when both sides carry one; Rules.compare_reason).
    reason: str | None = None

    @classmethod
    def failed(cls, exception: BaseException, duration: float | None = None) -> Observation:
        """Return the observation of a side that raised instead of answering."""
        return cls(exception=exception, duration=duration)

    @property
    def timed_out(self) -> bool:
        """Tell whether the exception is a timeout (TimeoutError or a *Timeout* class)."""
        exc = self.exception
        if exc is None:
            return False
        return isinstance(exc, TimeoutError) or any(
            "Timeout" in klass.__name__ for klass in type(exc).__mro__
        )


@dataclass(frozen=True, slots=True)
class Difference:
    """One field that differs, located by a path in the ignore-rule syntax.

    ``control`` and ``candidate`` are the values as short JSON text (truncated), or None
    when the field is absent on that side.
    """

    path: str
    kind: Kind
    control: str | None
    candidate: str | None

    def as_dict(self) -> dict[str, Any]:
        """Return the difference as plain JSON-ready data."""
        return {
            "path": self.path,
            "kind": str(self.kind),
            "control": self.control,
            "candidate": self.candidate,
        }


@dataclass(frozen=True, slots=True)
class Result:
    """The verdict on a control/candidate pair, with the differences when they mismatch.

    ``control_doc`` and ``candidate_doc`` are the cleaned documents that were compared
    (``{"status": ..., "headers": {...}, "body": ...}``), kept for mismatch samples; their
    JSON booleans are ``shadow.document.TRUE/FALSE`` (``canonical()`` writes them as JSON).
    """

    outcome: Outcome
    differences: tuple[Difference, ...] = ()
    truncated: bool = False
    reason: str | None = None
    control_doc: Any = field(default=None, repr=False, compare=False)
    candidate_doc: Any = field(default=None, repr=False, compare=False)
    # shadow.coverage.summarize of the control's document, for the parity store.
    coverage: str | None = field(default=None, repr=False, compare=False)

    @property
    def matched(self) -> bool:
        return self.outcome is Outcome.MATCH

    @property
    def mismatched(self) -> bool:
        return self.outcome is Outcome.MISMATCH

    @property
    def ignored(self) -> bool:
        return self.outcome is Outcome.IGNORED

    @property
    def paths(self) -> list[str]:
        """Return the differing field paths, in order."""
        return [difference.path for difference in self.differences]
