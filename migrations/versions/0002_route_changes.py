"""The proxy's audit trail of route flips.

Revision ID: 0002_route_changes
Revises: 0001_conduit_schema
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002_route_changes"
# The first revision of the tooling's branch (its tables, never the backend's). It was once
# the backend's 0001's child: depending on 0001 keeps databases stamped 0002..0005 valid.
down_revision = None
branch_labels = ("tooling",)
depends_on = "0001_conduit_schema"


def upgrade():
    op.create_table(
        "route_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("from_state", sa.String(length=100), nullable=False),
        sa.Column("to_state", sa.String(length=100), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "changed_at",
            sa.DateTime(timezone=True).with_variant(
                postgresql.TIMESTAMP(timezone=True, precision=3), "postgresql"
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_changes")),
    )
    op.create_index("ix_route_changes_changed_at", "route_changes", ["changed_at"])


def downgrade():
    op.drop_table("route_changes")
