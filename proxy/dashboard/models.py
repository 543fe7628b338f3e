"""The dashboard's tables: accounts and failed login attempts."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from backend.database import db
from backend.models.types import Timestamp, utcnow


class Role(enum.StrEnum):
    """What an account may do: viewers read, operators also flip routes."""

    VIEWER = "viewer"
    OPERATOR = "operator"


class DashboardUser(UserMixin, db.Model):
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


class LoginAttempt(db.Model):
    """One failed login, counted per username and client address by the attempt limiter."""

    __tablename__ = "dashboard_login_attempts"
    __table_args__ = (
        sa.Index("ix_dashboard_login_attempts_key", "username", "address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(100))
    address: Mapped[str] = mapped_column(sa.String(64))
    attempted_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
