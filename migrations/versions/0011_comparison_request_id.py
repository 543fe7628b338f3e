"""Parity store: queued comparisons carry their exchange's stream key (unique) and their lag.

A shadow worker acknowledges a stream entry only after its comparison is stored; a worker that
dies between the two leaves the entry to be claimed and compared again by another one. The
unique ``exchange_key`` makes the second store a no-op, so no exchange is counted twice.
``lag_ms`` is the time from the request's arrival at the proxy to its comparison.

Revision ID: 0011_comparison_request_id
Revises: 0007_parity_coverage
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_comparison_request_id"
down_revision = "0010_captures"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("parity_comparisons") as batch:
        batch.add_column(sa.Column("exchange_key", sa.String(100), nullable=True))
        batch.add_column(sa.Column("lag_ms", sa.Float(), nullable=True))
        batch.create_unique_constraint("uq_parity_comparisons_exchange_key", ["exchange_key"])


def downgrade():
    with op.batch_alter_table("parity_comparisons") as batch:
        batch.drop_constraint("uq_parity_comparisons_exchange_key", type_="unique")
        batch.drop_column("lag_ms")
        batch.drop_column("exchange_key")
