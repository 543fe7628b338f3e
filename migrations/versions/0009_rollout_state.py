"""Rollout state: where ``strangler rollout run`` has each route (step, since, status).

Revision ID: 0009_rollout_state
Revises: 0008_route_traffic
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_rollout_state"
down_revision = "0008_route_traffic"
branch_labels = None
depends_on = None


def _timestamp():
    return sa.DateTime(timezone=True).with_variant(
        postgresql.TIMESTAMP(timezone=True, precision=3), "postgresql")


def upgrade():
    op.create_table(
        "rollout_states",
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("step", sa.String(length=100), nullable=False),
        sa.Column("since", _timestamp(), nullable=False),
        sa.Column("passing_since", _timestamp(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("evaluations", sa.Integer(), nullable=False),
        sa.Column("verdict", sa.Text(), nullable=True),
        sa.Column("evaluated_at", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("route", name=op.f("pk_rollout_states")),
    )


def downgrade():
    op.drop_table("rollout_states")
