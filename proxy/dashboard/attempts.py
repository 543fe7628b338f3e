"""Limit login attempts per username and client address, in the database.

The count lives in the shared database, so the limit holds across gunicorn workers and proxy
instances without Redis. Only failures count; a successful login clears them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from backend.database import db
from proxy.dashboard.models import LoginAttempt


def _since(window: int) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=window)


def is_locked_out(username: str, address: str, *, limit: int, window: int) -> bool:
    """Return whether ``limit`` failures from ``address`` for ``username`` fall in the window."""
    failures = db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(
            LoginAttempt.username == username,
            LoginAttempt.address == address,
            LoginAttempt.attempted_at >= _since(window),
        )
    )
    return (failures or 0) >= limit


def record_failure(username: str, address: str, *, window: int) -> None:
    """Count one failed login and forget failures older than the window."""
    db.session.execute(sa.delete(LoginAttempt).where(LoginAttempt.attempted_at < _since(window)))
    db.session.add(LoginAttempt(username=username, address=address))
    db.session.commit()


def clear_failures(username: str, address: str) -> None:
    """Forget the failures of ``username`` from ``address`` after a successful login."""
    db.session.execute(
        sa.delete(LoginAttempt).where(
            LoginAttempt.username == username, LoginAttempt.address == address
        )
    )
    db.session.commit()
