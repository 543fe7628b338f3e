"""Limit login attempts per username and client address, in the database.

Each attempt is counted *before* its password is checked, in one atomic statement (an
upsert returning the new count: PostgreSQL's row lock, SQLite's write lock), so concurrent
guesses cannot all be checked: past the limit they are refused unchecked. The count lives
in the shared database, so the limit holds across gunicorn workers and proxy instances.

The window starts at the first attempt and is never moved by later ones, refused ones
included: a lockout ends one window after it began, whoever keeps knocking. The key
includes the client's address (behind nginx, X-Real-IP from a trusted peer), so a stranger
elsewhere cannot lock an operator out at all. A successful login clears the count.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from backend.database import db
from dbtypes import utcnow
from rollout.dashboard.models import LoginLimit


def admit(username: str, address: str, *, limit: int, window: int) -> bool:
    """Count one attempt of ``username`` from ``address``; return whether it may be checked."""
    now = utcnow()
    table = LoginLimit.__table__
    expired = table.c.window_started < now - timedelta(seconds=window)
    dialect = sqlite if db.engine.dialect.name == "sqlite" else postgresql
    statement = dialect.insert(table).values(
        username=username, address=address, window_started=now, attempts=1,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.username, table.c.address],
        set_={
            "attempts": sa.case((expired, 1), else_=table.c.attempts + 1),
            "window_started": sa.case((expired, now), else_=table.c.window_started),
        },
    ).returning(table.c.attempts)
    attempts = db.session.execute(statement).scalar_one()
    db.session.commit()
    return attempts <= limit


def clear(username: str, address: str) -> None:
    """Forget the attempts of ``username`` from ``address`` after a successful login."""
    db.session.execute(sa.delete(LoginLimit).where(
        LoginLimit.username == username, LoginLimit.address == address))
    db.session.commit()
