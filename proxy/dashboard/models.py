"""The dashboard's tables: accounts, their open sessions, and login attempt counters."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from backend.database import Model
from backend.models.types import Timestamp, utcnow


class Role(enum.StrEnum):
    """What an account may do: viewers read, operators also flip routes."""

    VIEWER = "viewer"
    OPERATOR = "operator"


class DashboardUser(UserMixin, Model):
    """An account of the dashboard, created with ``strangler users create``."""

    __tablename__ = "dashboard_users"
    __table_args__ = (sa.CheckConstraint("role IN ('viewer', 'operator')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password`` (werkzeug's scrypt), never the password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Return whether ``password`` is this account's password."""
        return check_password_hash(self.password_hash, password)

    @property
    def is_operator(self) -> bool:
        return self.role == Role.OPERATOR


class DashboardSession(Model):
    """An open login session; the cookie holds its token, the table only the token's hash.

    Deleting the row ends the session wherever its cookie is (logout, a password or role
    change): a copied cookie stops working at once.
    """

    __tablename__ = "dashboard_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # sha256 of the token
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dashboard_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class LoginLimit(Model):
    """Login attempts of one username from one client address in the current window.

    One row per (username, address), counted with one atomic upsert before the password is
    checked (proxy.dashboard.attempts). The window starts at the first attempt and is never
    pushed back by later ones, so a lockout lasts at most one window.
    """

    __tablename__ = "dashboard_login_limits"

    username: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    window_started: Mapped[datetime] = mapped_column(Timestamp)
    attempts: Mapped[int]
