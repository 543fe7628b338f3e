"""Storage shared with the Flask side: SQLite timestamp text, bcrypt hashes, no own schema."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import bcrypt
import httpx
import pytest

from tests.integration.legacy.conduit import Conduit
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess

pytestmark = [pytest.mark.legacy]


@pytest.fixture(scope="module")
def sqlite_url(databases: DatabaseFactory) -> str:
    """A fresh migrated SQLite database for this module."""
    return databases.create("sqlite")


@pytest.fixture(scope="module")
def sqlite_conduit(
    sqlite_url: str, start_legacy: Callable[..., ServerProcess]
) -> Iterator[Conduit]:
    """A client of legacy running on the module's SQLite database."""
    server = start_legacy(sqlite_url)
    with httpx.Client(base_url=server.url, timeout=10.0) as client:
        yield Conduit(client)
    assert server.stop() == 0


@contextmanager
def connect(url: str) -> Iterator[sqlite3.Connection]:
    """Open the SQLite file behind ``url``; commit and close on exit."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def test_sqlite_timestamps_use_sqlalchemys_text_in_utc(
    sqlite_conduit: Conduit, sqlite_url: str
) -> None:
    author = sqlite_conduit.register("stamp")
    created = sqlite_conduit.create_article(author, "Stamped")
    with connect(sqlite_url) as conn:
        (stored,) = conn.execute(
            "SELECT created_at FROM articles WHERE slug = 'stamped'").fetchone()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}000", stored)
    assert created["createdAt"] == stored[:23].replace(" ", "T") + "Z"


def test_sqlite_rows_written_by_sqlalchemy_are_read_back(
    sqlite_conduit: Conduit, sqlite_url: str
) -> None:
    author = sqlite_conduit.register("older")
    sqlite_conduit.create_article(author, "Written By Flask")
    sqlite_conduit.create_article(author, "Written By Legacy")
    with connect(sqlite_url) as conn:
        conn.execute("UPDATE articles SET created_at = '2031-01-02 03:04:05.678901' "
                     "WHERE slug = 'written-by-flask'")
    listed = sqlite_conduit.get(f"/articles?author={author.username}").json()["articles"]
    assert [a["slug"] for a in listed] == ["written-by-flask", "written-by-legacy"]
    assert listed[0]["createdAt"] == "2031-01-02T03:04:05.678Z"


def test_password_hashes_are_bcrypt_2b_cost_10_both_ways(
    sqlite_conduit: Conduit, sqlite_url: str
) -> None:
    user = sqlite_conduit.register("hash")
    with connect(sqlite_url) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users WHERE username = ?",
                                 (user.username,)).fetchone()
        assert stored.startswith("$2b$10$")
        assert bcrypt.checkpw(user.password.encode(), stored.encode())
        python_hash = bcrypt.hashpw(b"hashed by python", bcrypt.gensalt(10)).decode()
        conn.execute("UPDATE users SET password_hash = ? WHERE username = ?",
                     (python_hash, user.username))
    response = sqlite_conduit.post(
        "/users/login", json={"user": {"email": user.email, "password": "hashed by python"}})
    assert response.status_code == 200


def test_legacy_never_creates_tables(
    databases: DatabaseFactory, start_legacy: Callable[..., ServerProcess]
) -> None:
    url = databases.create("sqlite", migrated=False)
    server = start_legacy(url)
    response = httpx.get(server.url + "/api/tags")
    assert response.status_code == 500
    assert response.json() == {"errors": {"server": ["internal error"]}}
    assert server.stop() == 0
    with connect(url) as conn:
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    assert tables == []
