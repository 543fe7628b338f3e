"""Parity store: each comparison keeps a compact coverage summary of the control's body.

Revision ID: 0007_parity_coverage
Revises: 0006_flask_alone
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_parity_coverage"
down_revision = "0006_flask_alone"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("parity_comparisons") as batch:
        batch.add_column(sa.Column("coverage", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("parity_comparisons") as batch:
        batch.drop_column("coverage")
