"""The shadow parity store: comparisons, differing paths, mismatch reservoir, noise.

Revision ID: 0003_parity_store
Revises: 0002_route_changes
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_parity_store"
down_revision = "0002_route_changes"
branch_labels = None
depends_on = None


def timestamp() -> sa.types.TypeEngine:
    """A UTC instant (timestamp(3) with time zone on PostgreSQL, UTC text on SQLite)."""
    return sa.DateTime(timezone=True).with_variant(
        postgresql.TIMESTAMP(timezone=True, precision=3), "postgresql"
    )


def row_id() -> sa.types.TypeEngine:
    """A 64-bit key (INTEGER on SQLite, where only INTEGER PRIMARY KEY autoincrements)."""
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table(
        "parity_comparisons",
        sa.Column("id", row_id(), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("control_side", sa.String(length=20), nullable=False),
        sa.Column("control_status", sa.Integer(), nullable=True),
        sa.Column("candidate_status", sa.Integer(), nullable=True),
        sa.Column("control_ms", sa.Float(), nullable=True),
        sa.Column("candidate_ms", sa.Float(), nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("compared_at", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parity_comparisons")),
    )
    op.create_index(
        "ix_parity_comparisons_route_compared_at", "parity_comparisons", ["route", "compared_at"]
    )
    op.create_index("ix_parity_comparisons_compared_at", "parity_comparisons", ["compared_at"])
    op.create_table(
        "parity_differences",
        sa.Column("id", row_id(), nullable=False),
        sa.Column("comparison_id", row_id(), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("compared_at", timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comparison_id"],
            ["parity_comparisons.id"],
            name=op.f("fk_parity_differences_comparison_id_parity_comparisons"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parity_differences")),
    )
    op.create_index(
        "ix_parity_differences_route_compared_at", "parity_differences", ["route", "compared_at"]
    )
    op.create_index("ix_parity_differences_comparison_id", "parity_differences", ["comparison_id"])
    op.create_table(
        "parity_samples",
        sa.Column("id", row_id(), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("control_side", sa.String(length=20), nullable=False),
        sa.Column("control_status", sa.Integer(), nullable=True),
        sa.Column("candidate_status", sa.Integer(), nullable=True),
        sa.Column("differences", sa.Text(), nullable=False),
        sa.Column("control_body", sa.Text(), nullable=True),
        sa.Column("candidate_body", sa.Text(), nullable=True),
        sa.Column("compared_at", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parity_samples")),
        sa.UniqueConstraint("route", "slot", name=op.f("uq_parity_samples_route_slot")),
    )
    op.create_table(
        "parity_reservoirs",
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("seen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("route", name=op.f("pk_parity_reservoirs")),
    )
    op.create_table(
        "parity_noise",
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen", timestamp(), nullable=False),
        sa.Column("last_seen", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("route", "path", name=op.f("pk_parity_noise")),
    )


def downgrade():
    op.drop_table("parity_noise")
    op.drop_table("parity_reservoirs")
    op.drop_table("parity_samples")
    op.drop_table("parity_differences")
    op.drop_table("parity_comparisons")
