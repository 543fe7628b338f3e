"""Migration 0003 creates exactly the tables shadow.schema describes, on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from shadow import schema


def parity_changes(engine: sa.Engine, metadata: sa.MetaData) -> list:
    """Return autogenerate's differences between the database and ``metadata``'s tables."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        changes = compare_metadata(context, metadata)
    # The other folders' tables and indexes show up as removals: they are not shadow's.
    return [c for c in changes if "parity_" in repr(c)]


def test_migrated_tables_match_the_metadata(engine) -> None:
    assert set(schema.metadata.tables) <= set(sa.inspect(engine).get_table_names())
    assert parity_changes(engine, schema.metadata) == []


def test_the_check_would_see_a_drift(engine) -> None:
    drifted = sa.MetaData()
    for table in schema.metadata.tables.values():
        table.to_metadata(drifted)
    sa.Table("parity_noise", drifted, sa.Column("note", sa.Text), extend_existing=True)
    assert parity_changes(engine, drifted) != []
