"""Route traffic: every request the proxy served, per minute, route, kind and side.

Revision ID: 0008_route_traffic
Revises: 0007_parity_coverage
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_route_traffic"
down_revision = "0007_parity_coverage"
branch_labels = None
depends_on = None


def timestamp() -> sa.types.TypeEngine:
    """A UTC instant (timestamp(3) with time zone on PostgreSQL, UTC text on SQLite)."""
    return sa.DateTime(timezone=True).with_variant(
        postgresql.TIMESTAMP(timezone=True, precision=3), "postgresql"
    )


def upgrade():
    op.create_table(
        "route_traffic",
        sa.Column("minute", timestamp(), nullable=False),
        sa.Column("route", sa.String(length=300), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("side", sa.String(length=10), nullable=False),
        sa.Column("requests", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("minute", "route", "matched", "kind", "side",
                                name=op.f("pk_route_traffic")),
    )


def downgrade():
    op.drop_table("route_traffic")
