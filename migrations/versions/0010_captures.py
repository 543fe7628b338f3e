"""Captured exchanges for replay; each stored differing path keeps its kinds (diff groups).

Revision ID: 0010_captures
Revises: 0009_rollout_state
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010_captures"
down_revision = "0009_rollout_state"
branch_labels = None
depends_on = None

RowId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
# A UTC instant, as 0003's parity tables keep it (dbtypes.UtcTimestamp's column type).
Instant = sa.DateTime(timezone=True).with_variant(
    postgresql.TIMESTAMP(timezone=True, precision=3), "postgresql")


def upgrade():
    op.create_table(
        "captured_exchanges",
        sa.Column("id", RowId, primary_key=True),
        sa.Column("route", sa.String(300), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("request_id", sa.String(100)),
        sa.Column("captured_at", Instant, nullable=False),
        sa.Column("record", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_captured_exchanges"),
    )
    op.create_index("ix_captured_exchanges_route_captured_at", "captured_exchanges",
                    ["route", "captured_at"])
    op.create_index("ix_captured_exchanges_captured_at", "captured_exchanges", ["captured_at"])
    op.create_index("ix_captured_exchanges_request_id", "captured_exchanges", ["request_id"])
    with op.batch_alter_table("parity_differences") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table("parity_differences") as batch:
        batch.drop_column("kind")
    op.drop_table("captured_exchanges")
