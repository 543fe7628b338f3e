"""Dashboard: login attempts counted atomically per window; server-side sessions.

Revision ID: 0005_login_limits_sessions
Revises: 0004_dashboard_users
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005_login_limits_sessions"
down_revision = "0004_dashboard_users"
branch_labels = None
depends_on = None


def timestamp() -> sa.types.TypeEngine:
    """A UTC instant (timestamp(3) with time zone on PostgreSQL, UTC text on SQLite)."""
    return sa.DateTime(timezone=True).with_variant(
        postgresql.TIMESTAMP(timezone=True, precision=3), "postgresql"
    )


def upgrade():
    op.drop_index("ix_dashboard_login_attempts_key", table_name="dashboard_login_attempts")
    op.drop_table("dashboard_login_attempts")
    op.create_table(
        "dashboard_login_limits",
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("window_started", timestamp(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("username", "address", name=op.f("pk_dashboard_login_limits")),
    )
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", timestamp(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["dashboard_users.id"], ondelete="CASCADE",
                                name=op.f("fk_dashboard_sessions_user_id_dashboard_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_sessions")),
    )
    op.create_index(op.f("ix_dashboard_sessions_user_id"), "dashboard_sessions", ["user_id"])


def downgrade():
    op.drop_index(op.f("ix_dashboard_sessions_user_id"), table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
    op.drop_table("dashboard_login_limits")
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
