"""The dashboard's accounts and its failed-login counter.

Revision ID: 0004_dashboard_users
Revises: 0003_parity_store
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_dashboard_users"
down_revision = "0003_parity_store"
branch_labels = None
depends_on = None


def timestamp() -> sa.types.TypeEngine:
    """A UTC instant (timestamp(3) with time zone on PostgreSQL, UTC text on SQLite)."""
    return sa.DateTime(timezone=True).with_variant(
        postgresql.TIMESTAMP(timezone=True, precision=3), "postgresql"
    )


def upgrade():
    op.create_table(
        "dashboard_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("created_at", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_users")),
        sa.UniqueConstraint("username", name=op.f("uq_dashboard_users_username")),
        sa.CheckConstraint("role IN ('viewer', 'operator')", name=op.f("ck_dashboard_users_role")),
    )
    op.create_table(
        "dashboard_login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_login_attempts")),
    )
    op.create_index(
        "ix_dashboard_login_attempts_key",
        "dashboard_login_attempts",
        ["username", "address", "attempted_at"],
    )


def downgrade():
    op.drop_table("dashboard_login_attempts")
    op.drop_table("dashboard_users")
