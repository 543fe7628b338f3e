"""Lists cost a constant number of queries, whatever the page size (no N+1)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask

from backend.database import db
from tests.support.api import Api


@contextmanager
def counted_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements run on the app's engine inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def populate(api: Api, articles: int) -> None:
    for name in ("jake", "bob", "cat"):
        api.register(name)
    api.call("POST", "/api/profiles/jake/follow", "cat")
    for number in range(articles):
        author = ("jake", "bob")[number % 2]
        slug = api.article(author, f"A {number}", tagList=["x", f"t{number}"])["slug"]
        api.call("POST", f"/api/articles/{slug}/favorite", "cat")
        api.call("POST", f"/api/articles/{slug}/comments", ("bob", "jake")[number % 2],
                 json={"comment": {"body": "c"}})


@pytest.mark.parametrize(
    "path, user",
    [("/api/articles?limit={n}", None), ("/api/articles?limit={n}", "cat"),
     ("/api/articles?tag=x&limit={n}", "cat"), ("/api/articles/feed?limit={n}", "cat"),
     ("/api/articles/a-0/comments", "cat")],
)
def test_list_queries_do_not_grow_with_the_page(app: Flask, api: Api, path: str,
                                                user: str | None) -> None:
    populate(api, 20)
    for n in range(6):
        api.call("POST", "/api/articles/a-0/comments", "bob", json={"comment": {"body": str(n)}})
    counts = []
    for size in (1, 20):
        with counted_queries(app) as statements:
            response = api.call("GET", path.format(n=size), user)
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[1] <= 7


def test_counting_sees_every_statement(app: Flask, api: Api) -> None:
    api.register("jake")
    with counted_queries(app) as statements:
        api.call("GET", "/api/articles")
    assert any("count" in statement.lower() for statement in statements)
