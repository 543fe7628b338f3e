"""What the backend's schema and the tooling's share: column types and constraint names.

The backend (``backend.database``) and the tooling (``shadow.schema``, ``rollout.database``)
each declare their own SQLAlchemy metadata; both import these few definitions from here, and
this module imports neither of them, so the backend stands alone when the tooling is gone.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

# Explicit constraint names keep Alembic's batch mode (SQLite) and autogenerate stable.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Timestamp(TypeDecorator[datetime]):
    """A UTC instant with millisecond precision, the precision the API shows.

    PostgreSQL stores ``timestamp(3) with time zone``. SQLite has no such type: SQLAlchemy
    stores text ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC, and legacy writes the same text, so
    both sides sort and compare timestamps identically. Values always come back aware (UTC).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True
    to_millis = True  # cut to milliseconds before storing

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import TIMESTAMP

            return dialect.type_descriptor(TIMESTAMP(timezone=True, precision=3))
        return dialect.type_descriptor(sa.DateTime())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"{type(self).__name__} needs an aware datetime")
        value = value.astimezone(UTC)
        if self.to_millis:
            value = truncate_to_millis(value)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UtcTimestamp(Timestamp):
    """A UTC instant kept as given: ``timestamp(3) with time zone`` on PostgreSQL, UTC text
    on SQLite (the parity store's; unlike Timestamp it does not cut to milliseconds first).
    """

    cache_ok = True
    to_millis = False


def truncate_to_millis(value: datetime) -> datetime:
    """Drop sub-millisecond digits, as JavaScript's Date would."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def utcnow() -> datetime:
    """Return the current UTC instant at millisecond precision."""
    return truncate_to_millis(datetime.now(UTC))
