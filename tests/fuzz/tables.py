"""The Conduit tables of one database: read whole, compared without clock noise, restored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg import sql

TABLES = {  # table: its columns, in primary-key order
    "users": ("id", "username", "email", "password_hash", "bio", "image", "created_at",
              "updated_at"),
    "follows": ("follower_id", "followed_id", "created_at"),
    "articles": ("id", "slug", "title", "description", "body", "author_id", "created_at",
                 "updated_at"),
    "tags": ("id", "name"),
    "article_tags": ("article_id", "tag_id", "position"),
    "favorites": ("user_id", "article_id", "created_at"),
    "comments": ("id", "body", "article_id", "author_id", "created_at", "updated_at"),
}
SERIAL_TABLES = ("users", "articles", "tags", "comments")
_KEYS = {"follows": 2, "article_tags": 2, "favorites": 2}
_BCRYPT = re.compile(r"\$2[ab]\$10\$[./A-Za-z0-9]{53}")

Rows = dict[str, list[tuple[Any, ...]]]


def read(connection: psycopg.Connection) -> Rows:
    """Return every row of every Conduit table, ordered by primary key."""
    rows: Rows = {}
    for table, columns in TABLES.items():
        keys = columns[: _KEYS.get(table, 1)]
        query = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, keys)))
        rows[table] = [tuple(row) for row in connection.execute(query)]
    return rows


def restore(connection: psycopg.Connection, rows: Rows) -> None:
    """Make the tables hold exactly ``rows`` again, sequences included (one transaction)."""
    with connection.transaction():
        connection.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(
            sql.SQL(", ").join(map(sql.Identifier, TABLES))))
        for table, columns in TABLES.items():
            if not rows[table]:
                continue
            insert = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)),
                sql.SQL(", ").join(sql.Placeholder() * len(columns)))
            with connection.cursor() as cursor:
                cursor.executemany(insert, rows[table])
        for table in SERIAL_TABLES:
            connection.execute(sql.SQL(
                "SELECT setval(pg_get_serial_sequence({table}, 'id'), "
                "coalesce((SELECT max(id) FROM {name}), 0) + 1, false)").format(
                table=sql.Literal(table), name=sql.Identifier(table)))


@dataclass
class TableDifference:
    table: str
    key: tuple[Any, ...]
    legacy: object
    backend: object

    def __str__(self) -> str:
        return f"{self.table}{list(self.key)}: legacy {self.legacy!r}, backend {self.backend!r}"


def compare(before: tuple[Rows, Rows], after: tuple[Rows, Rows]) -> list[TableDifference]:
    """Return how the two databases differ after a request, clock and salt noise aside.

    Timestamps and bcrypt hashes are each side's own (clock, salt), so for them only their
    shape is compared: a timestamp's millisecond precision, whether a row's timestamps are
    one instant, and whether the request changed them; a hash's format and whether it
    changed. Everything else must be equal.
    """
    differences = []
    for table in TABLES:
        legacy = _keyed(table, after[0][table], before[0][table])
        backend = _keyed(table, after[1][table], before[1][table])
        for key in sorted(legacy.keys() | backend.keys(), key=repr):
            if legacy.get(key) != backend.get(key):
                differences.append(TableDifference(table, key, legacy.get(key),
                                                   backend.get(key)))
    return differences


def _keyed(table: str, rows: list[tuple], previous: list[tuple]) -> dict[tuple, tuple]:
    width = _KEYS.get(table, 1)
    earlier = {row[:width]: row for row in previous}
    return {row[:width]: _described(row, earlier.get(row[:width])) for row in rows}


def _described(row: tuple, earlier: tuple | None) -> tuple:
    """Replace clock and salt values by what must still agree between the sides."""
    instants = [value for value in row if isinstance(value, datetime)]
    out = []
    for index, value in enumerate(row):
        changed = earlier is None or earlier[index] != value
        if isinstance(value, datetime):
            precise = value.microsecond % 1000 == 0
            out.append(("<instant>", precise, len(set(instants)), changed))
        elif isinstance(value, str) and _BCRYPT.fullmatch(value):
            out.append(("<bcrypt cost 10>", changed))
        else:
            out.append(value)
    return tuple(out)
