"""The proxy's own tables: the audit trail of route flips."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from backend.database import Model
from backend.models.types import Timestamp, utcnow


class RouteChange(Model):
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
