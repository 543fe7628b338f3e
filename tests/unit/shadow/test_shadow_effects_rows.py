"""The effects comparison: a dry-run's reported row changes against the control's committed ones.

No processes: a SQLite database with the backend's tables stands for the shared one; the
"control" writes to it between ``Watch.snapshot`` and ``Watch.differences``, the candidate's
report is written by hand in the seam's format (backend/dryrun.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import backend.models  # noqa: F401  (the tables)
from backend.database import db
from shadow.effects import REDACTED, Schema, Watch, natural_key
from shadow.observation import Kind

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
HASH = "$2b$10$" + "a" * 53


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'shared.db'}")
    db.metadata.create_all(engine)
    with engine.begin() as connection:
        run(connection, "INSERT INTO users (id, username, email, password_hash, created_at,"
            " updated_at) VALUES (1, 'jake', 'jake@x', :h, :t, :t),"
            " (2, 'anne', 'anne@x', :h, :t, :t)", h=HASH, t=NOW)
        run(connection, "INSERT INTO articles (id, slug, title, description, body, author_id,"
            " created_at, updated_at) VALUES (1, 'a', 'T', 'd', 'b', 1, :t, :t)", t=NOW)
        run(connection, "INSERT INTO tags (id, name) VALUES (1, 'x')")
        run(connection, "INSERT INTO follows (follower_id, followed_id, created_at)"
            " VALUES (1, 2, :t)", t=NOW)
    yield engine
    engine.dispose()


def run(connection: sa.Connection, sql: str, **values: Any) -> None:
    """Run raw SQL; timestamps as the UTC text SQLite stores (dbtypes.Timestamp)."""
    connection.execute(sa.text(sql), {
        name: value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(value, datetime) else value for name, value in values.items()})


def control(engine: sa.Engine, sql: str, **values: Any) -> None:
    with engine.begin() as connection:
        run(connection, sql, **values)


def checked(engine: sa.Engine, changes: list[dict[str, Any]], rows: dict[str, list[list[Any]]],
            *writes: tuple[str, dict[str, Any]]) -> list[tuple[str, str, str | None, str | None]]:
    watch = Watch(Schema(engine), {"mode": "dry-run", "changes": changes, "rows": rows})
    watch.snapshot()
    for sql, values in writes:
        control(engine, sql, **values)
    return [(d.path, str(d.kind), d.control, d.candidate) for d in watch.differences()]


def iso(moment: datetime) -> str:
    return moment.isoformat()


ARTICLE = {"id": 1, "slug": "a", "title": "T", "description": "d", "body": "b", "author_id": 1,
           "created_at": iso(NOW), "updated_at": iso(NOW)}
UPDATE_TITLE = ("UPDATE articles SET title = 'New', updated_at = :t WHERE id = 1",
                {"t": NOW + timedelta(seconds=1)})
COMMENT_SQL = ("INSERT INTO comments (id, body, article_id, author_id, created_at, updated_at)"
               " VALUES (7, :body, 1, 1, :t, :t)")


def comment(body: str, id_: int = 40) -> dict[str, Any]:
    row = {"id": id_, "body": body, "article_id": 1, "author_id": 1,
           "created_at": iso(NOW), "updated_at": iso(NOW)}
    return {"table": "comments", "op": "+", "key": {"id": id_}, "before": None, "after": row}


def test_natural_keys_come_from_the_schema(engine: sa.Engine) -> None:
    tables = Schema(engine).tables()
    assert natural_key(tables["users"]) in (["email"], ["username"])
    assert natural_key(tables["articles"]) == ["slug"]
    assert natural_key(tables["tags"]) == ["name"]
    assert natural_key(tables["follows"]) == ["follower_id", "followed_id"]
    assert natural_key(tables["comments"]) == ["body", "article_id", "author_id"]


def test_the_same_update_on_both_sides_is_no_difference(engine: sa.Engine) -> None:
    after = {**ARTICLE, "title": "New", "updated_at": iso(NOW + timedelta(seconds=2))}
    change = {"table": "articles", "op": "~", "key": {"id": 1}, "before": ARTICLE,
              "after": after}
    assert checked(engine, [change], {"articles": [[1]]}, UPDATE_TITLE) == []


def test_an_update_never_committed_is_the_controls_change_missing(engine: sa.Engine) -> None:
    """The candidate flushed and never committed: it reports no change, only the row."""
    found = checked(engine, [], {"articles": [[1]], "users": [[1]]}, UPDATE_TITLE)
    paths = {path for path, *_ in found}
    assert "effects.articles[~].title" in paths
    assert ("effects.articles[~].title", "missing_in_candidate", '"New"', None) in found


def test_an_unfollow_never_committed_is_a_missing_delete(engine: sa.Engine) -> None:
    found = checked(engine, [], {"follows": [[1, 2]], "users": [[1], [2]]},
                    ("DELETE FROM follows WHERE follower_id = 1 AND followed_id = 2", {}))
    assert [(path, kind) for path, kind, *_ in found] == [
        ("effects.follows[-]", "missing_in_candidate")]


def test_a_missing_favorite_is_found_from_the_rows_the_candidate_loaded(engine: sa.Engine
                                                                      ) -> None:
    found = checked(engine, [], {"users": [[1]], "articles": [[1]]},
                    ("INSERT INTO favorites (user_id, article_id, created_at) VALUES (1, 1, :t)",
                     {"t": NOW}))
    assert found == [("effects.favorites[+]", "missing_in_candidate",
                      '{"article_id": {"slug": "a"}, "user_id": {"email": "jake@x"}}', None)]


def test_inserts_match_by_natural_key_not_by_id(engine: sa.Engine) -> None:
    """The candidate's comment got id 40 (rolled back), the control's id 7: the same row."""
    found = checked(engine, [comment("hello")], {"users": [[1]], "articles": [[1]]},
                    (COMMENT_SQL, {"body": "hello", "t": NOW + timedelta(seconds=1)}))
    assert found == []


def test_a_comment_written_with_a_wrong_body_is_a_changed_body(engine: sa.Engine) -> None:
    found = checked(engine, [comment("HELLO")], {"users": [[1]], "articles": [[1]]},
                    (COMMENT_SQL, {"body": "hello", "t": NOW}))
    assert found == [("effects.comments[+].body", "changed", '"hello"', '"HELLO"')]


def test_timestamps_differ_within_the_tolerance_only(engine: sa.Engine) -> None:
    found = checked(engine, [comment("hello")], {"users": [[1]], "articles": [[1]]},
                    (COMMENT_SQL, {"body": "hello", "t": NOW + timedelta(minutes=5)}))
    assert {path for path, *_ in found} == {"effects.comments[+].created_at",
                                           "effects.comments[+].updated_at"}


def test_an_extra_tag_row_is_extra_in_the_candidate(engine: sa.Engine) -> None:
    tag = {"table": "tags", "op": "+", "key": {"id": 9}, "before": None,
           "after": {"id": 9, "name": "extra"}}
    link = {"table": "article_tags", "op": "+", "key": {"article_id": 1, "tag_id": 9},
            "before": None, "after": {"article_id": 1, "tag_id": 9, "position": 0}}
    found = checked(engine, [tag, link], {"users": [[1]], "articles": [[1]]})
    assert sorted((path, kind) for path, kind, *_ in found) == [
        ("effects.article_tags[+]", "extra_in_candidate"),
        ("effects.tags[+]", "extra_in_candidate")]
    assert ('{"article_id": {"slug": "a"}, "tag_id": {"name": "extra"}}'
            in [candidate for *_, candidate in found])


def test_a_new_article_with_new_tags_matches_through_its_foreign_keys(engine: sa.Engine) -> None:
    """Rows pointing at new rows are found, and compared by what they point at."""
    article = {**ARTICLE, "id": 30, "slug": "new"}
    changes = [
        {"table": "articles", "op": "+", "key": {"id": 30}, "before": None, "after": article},
        {"table": "tags", "op": "+", "key": {"id": 31}, "before": None,
         "after": {"id": 31, "name": "fresh"}},
        {"table": "article_tags", "op": "+", "key": {"article_id": 30, "tag_id": 31},
         "before": None, "after": {"article_id": 30, "tag_id": 31, "position": 0}},
        {"table": "article_tags", "op": "+", "key": {"article_id": 30, "tag_id": 1},
         "before": None, "after": {"article_id": 30, "tag_id": 1, "position": 1}},
    ]
    rows = {"users": [[1]], "articles": [[30]], "tags": [[31]],
            "article_tags": [[30, 31], [30, 1]]}
    writes = [
        ("INSERT INTO articles (id, slug, title, description, body, author_id, created_at,"
         " updated_at) VALUES (2, 'new', 'T', 'd', 'b', 1, :t, :t)", {"t": NOW}),
        ("INSERT INTO tags (id, name) VALUES (2, 'fresh')", {}),
        ("INSERT INTO article_tags (article_id, tag_id, position) VALUES (2, 2, 0), (2, 1, 1)",
         {}),
    ]
    assert checked(engine, changes, rows, *writes) == []
    swapped = [("INSERT INTO articles (id, slug, title, description, body, author_id,"
                " created_at, updated_at) VALUES (3, 'new', 'T', 'd', 'b', 1, :t, :t)",
                {"t": NOW}),
               ("INSERT INTO tags (id, name) VALUES (3, 'fresh')", {}),
               ("INSERT INTO article_tags (article_id, tag_id, position) VALUES (3, 3, 1),"
                " (3, 1, 0)", {})]
    with engine.begin() as connection:
        run(connection, "DELETE FROM article_tags WHERE article_id = 2")
        run(connection, "DELETE FROM articles WHERE id = 2")
        run(connection, "DELETE FROM tags WHERE id = 2")
    found = checked(engine, changes, rows, *swapped)
    assert sorted(path for path, *_ in found) == ["effects.article_tags[+].position"] * 2


def test_password_hashes_compare_by_shape_and_are_redacted(engine: sa.Engine) -> None:
    def user(password_hash: str) -> dict[str, Any]:
        row = {"id": 50, "username": "ghost", "email": "ghost@x", "password_hash": password_hash,
               "bio": None, "image": None, "created_at": iso(NOW), "updated_at": iso(NOW)}
        return {"table": "users", "op": "+", "key": {"id": 50}, "before": None, "after": row}

    register = ("INSERT INTO users (id, username, email, password_hash, created_at, updated_at)"
                " VALUES (3, 'ghost', 'ghost@x', :h, :t, :t)")
    other_salt = "$2a$10$" + "b" * 53
    assert checked(engine, [user(HASH)], {"users": [[50]]},
                   (register, {"h": other_salt, "t": NOW})) == []
    with engine.begin() as connection:
        run(connection, "DELETE FROM users WHERE id = 3")
    found = checked(engine, [user("plain-text")], {"users": [[50]]},
                    (register, {"h": other_salt, "t": NOW}))
    assert found == [("effects.users[+].password_hash", "changed", REDACTED, REDACTED)]


def test_a_candidate_insert_someone_else_committed_is_not_the_candidates(engine: sa.Engine
                                                                        ) -> None:
    """Rows above the high-water mark inside the dry-run may be another writer's commits."""
    others = {"table": "tags", "op": "+", "key": {"id": 1}, "before": None,
              "after": {"id": 1, "name": "x"}}
    assert checked(engine, [others], {"tags": [[1]]}) == []


def test_the_kinds_say_which_side_lacks_the_change(engine: sa.Engine) -> None:
    found = checked(engine, [comment("only mine")], {"users": [[1]], "articles": [[1]]})
    assert [(path, kind) for path, kind, *_ in found] == [
        ("effects.comments[+]", str(Kind.EXTRA_IN_CANDIDATE))]


def test_another_requests_edit_of_a_sibling_row_is_not_the_controls_effect(engine: sa.Engine
                                                                         ) -> None:
    """Articles of a named author are watched for new ones, not for other clients' edits."""
    with engine.begin() as connection:
        run(connection, "INSERT INTO articles (id, slug, title, description, body, author_id,"
            " created_at, updated_at) VALUES (5, 'sibling', 'S', 'd', 'b', 1, :t, :t)", t=NOW)
    found = checked(engine, [], {"users": [[1]], "articles": [[1]]},
                    ("UPDATE articles SET body = 'edited elsewhere' WHERE id = 5", {}))
    assert found == []
