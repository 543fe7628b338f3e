"""The proxy's own tables: the audit trail of route flips."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from dbtypes import Timestamp, utcnow
from rollout.database import Base


class RouteChange(Base):
    """One edit of routes.yaml made through ``strangler routes set`` or the dashboard."""

    __tablename__ = "route_changes"
    __table_args__ = (sa.Index("ix_route_changes_changed_at", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    route: Mapped[str] = mapped_column(sa.String(300))
    from_state: Mapped[str] = mapped_column(sa.String(100))
    to_state: Mapped[str] = mapped_column(sa.String(100))
    actor: Mapped[str] = mapped_column(sa.String(100))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    changed_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class RolloutState(Base):
    """Where ``strangler rollout run`` has one route: its step, since when, and why it stopped.

    Rewritten by the controller at each evaluation; ``status`` is running, paused (an
    operator or a breach with ``on_breach: pause``), rolled back or aborted (both wait for
    ``rollout resume``). The decisions themselves are route_changes rows (actor rollout@...).
    """

    __tablename__ = "rollout_states"

    route: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    step: Mapped[str] = mapped_column(sa.String(100))
    since: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    passing_since: Mapped[datetime | None] = mapped_column(Timestamp)
    status: Mapped[str] = mapped_column(sa.String(20), default="running")
    note: Mapped[str | None] = mapped_column(sa.Text)
    evaluations: Mapped[int] = mapped_column(sa.Integer, default=0)
    verdict: Mapped[str | None] = mapped_column(sa.Text)  # the last evaluation, as JSON
    evaluated_at: Mapped[datetime | None] = mapped_column(Timestamp)
