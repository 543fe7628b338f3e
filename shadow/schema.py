"""The parity store's tables (SQLAlchemy Core), created by migrations/0003_parity_store.py."""

from __future__ import annotations

import sqlalchemy as sa

from dbtypes import NAMING_CONVENTION, UtcTimestamp

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

comparisons = sa.Table(
    "parity_comparisons",
    metadata,
    sa.Column("id", RowId, primary_key=True),
    sa.Column("route", sa.String(300), nullable=False),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("control_side", sa.String(20), nullable=False),
    sa.Column("control_status", sa.Integer),
    sa.Column("candidate_status", sa.Integer),
    sa.Column("control_ms", sa.Float),
    sa.Column("candidate_ms", sa.Float),
    sa.Column("request_id", sa.String(100)),
    sa.Column("compared_at", UtcTimestamp, nullable=False),
    # shadow.coverage.summarize of the control's body (migration 0007); None: no JSON body.
    sa.Column("coverage", sa.Text),
    # Queued shadow (migration 0011): the exchange's stream key, unique so a redelivered
    # exchange is stored once; seconds from the request's arrival to its comparison.
    sa.Column("exchange_key", sa.String(100)),
    sa.Column("lag_ms", sa.Float),
    sa.UniqueConstraint("exchange_key"),
    sa.Index("ix_parity_comparisons_route_compared_at", "route", "compared_at"),
    sa.Index("ix_parity_comparisons_compared_at", "compared_at"),
)

# One row per (mismatch, generalised field path): what `parity report` ranks.
differences = sa.Table(
    "parity_differences",
    metadata,
    sa.Column("id", RowId, primary_key=True),
    sa.Column("comparison_id", RowId, sa.ForeignKey("parity_comparisons.id"), nullable=False),
    sa.Column("route", sa.String(300), nullable=False),
    sa.Column("path", sa.String(500), nullable=False),
    # The kinds of difference at this path, comma-joined (migration 0010): diff groups.
    sa.Column("kind", sa.String(100)),
    sa.Column("compared_at", UtcTimestamp, nullable=False),
    sa.Index("ix_parity_differences_route_compared_at", "route", "compared_at"),
    sa.Index("ix_parity_differences_comparison_id", "comparison_id"),
)

# The mismatch reservoir: at most N slots per route, filled by Algorithm R.
samples = sa.Table(
    "parity_samples",
    metadata,
    sa.Column("id", RowId, primary_key=True),
    sa.Column("route", sa.String(300), nullable=False),
    sa.Column("slot", sa.Integer, nullable=False),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("request_id", sa.String(100)),
    sa.Column("control_side", sa.String(20), nullable=False),
    sa.Column("control_status", sa.Integer),
    sa.Column("candidate_status", sa.Integer),
    sa.Column("differences", sa.Text, nullable=False),
    sa.Column("control_body", sa.Text),
    sa.Column("candidate_body", sa.Text),
    sa.Column("compared_at", UtcTimestamp, nullable=False),
    sa.UniqueConstraint("route", "slot"),
)

# How many mismatches each route's reservoir has been offered (Algorithm R's n).
reservoirs = sa.Table(
    "parity_reservoirs",
    metadata,
    sa.Column("route", sa.String(300), primary_key=True),
    sa.Column("seen", sa.BigInteger, nullable=False),
)

noise = sa.Table(
    "parity_noise",
    metadata,
    sa.Column("route", sa.String(300), primary_key=True),
    sa.Column("path", sa.String(500), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("first_seen", UtcTimestamp, nullable=False),
    sa.Column("last_seen", UtcTimestamp, nullable=False),
)

# Captured exchanges (migration 0010_captures): one redacted shadow.record.Record per row,
# kept for export and replay (shadow.capture, docs/replay.md).
captures = sa.Table(
    "captured_exchanges",
    metadata,
    sa.Column("id", RowId, primary_key=True),
    sa.Column("route", sa.String(300), nullable=False),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("request_id", sa.String(100)),
    sa.Column("captured_at", UtcTimestamp, nullable=False),
    sa.Column("record", sa.Text, nullable=False),  # Record.to_json(), already redacted
    sa.Index("ix_captured_exchanges_route_captured_at", "route", "captured_at"),
    sa.Index("ix_captured_exchanges_captured_at", "captured_at"),
    sa.Index("ix_captured_exchanges_request_id", "request_id"),
)
