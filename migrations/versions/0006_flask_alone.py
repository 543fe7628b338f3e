"""Route audit: the state once stored as the CLI flag 'flask --no-shadow' is 'flask alone'.

Revision ID: 0006_flask_alone
Revises: 0005_login_limits_sessions
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_flask_alone"
down_revision = "0005_login_limits_sessions"
branch_labels = None
depends_on = None

OLD, NEW = "flask --no-shadow", "flask alone"


def _rename(old: str, new: str) -> None:
    changes = sa.table("route_changes", sa.column("from_state", sa.String),
                       sa.column("to_state", sa.String))
    for column in ("from_state", "to_state"):
        op.execute(changes.update().where(changes.c[column] == old).values({column: new}))


def upgrade():
    _rename(OLD, NEW)


def downgrade():
    _rename(NEW, OLD)
