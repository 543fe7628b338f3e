"""The schema is owned by migrations/: it round-trips and matches the models exactly."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from backend.database import database_url


def strangler(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``strangler`` console script against ``url``."""
    return subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "strangler"), *args],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def table_names(url: str) -> set[str]:
    engine = sa.create_engine(database_url(url))
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


CONDUIT_TABLES = {"users", "follows", "articles", "tags", "article_tags", "favorites", "comments"}


def test_upgrade_downgrade_upgrade_round_trips(databases, database_kind):
    url = databases.create(database_kind, migrated=False)

    up = strangler("db", "upgrade", url=url)
    assert up.returncode == 0, up.stderr
    assert CONDUIT_TABLES <= table_names(url)

    down = strangler("db", "downgrade", "base", url=url)
    assert down.returncode == 0, down.stderr
    assert table_names(url) <= {"alembic_version"}

    again = strangler("db", "upgrade", url=url)
    assert again.returncode == 0, again.stderr
    assert CONDUIT_TABLES <= table_names(url)


def test_models_match_migrations(databases, database_kind):
    url = databases.create(database_kind)

    check = strangler("db", "check", url=url)

    assert check.returncode == 0, check.stdout + check.stderr
    assert "No new upgrade operations detected" in check.stdout + check.stderr


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        (
            "INSERT INTO follows (follower_id, followed_id, created_at) VALUES (1, 1, {now})",
            "self-follow",
        ),
        (
            "INSERT INTO articles (slug, title, description, body, author_id, created_at,"
            " updated_at) VALUES ('s', 't', 'd', 'b', 999, {now}, {now})",
            "unknown author",
        ),
    ],
)
def test_constraints_reject_inconsistent_rows(databases, database_kind, statement, kind):
    url = databases.create(database_kind)
    engine = sa.create_engine(database_url(url))
    now = "'2026-01-01 00:00:00.000000'"
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO users (username, email, password_hash, created_at, updated_at)"
                    f" VALUES ('u', 'u@x.io', 'h', {now}, {now})"
                )
            )
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text(statement.format(now=now)))
    finally:
        engine.dispose()


def test_deleting_an_article_cascades_to_its_rows(databases, database_kind):
    url = databases.create(database_kind)
    engine = sa.create_engine(database_url(url))
    now = "'2026-01-01 00:00:00.000000'"
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (id, username, email, password_hash, created_at, updated_at)"
                f" VALUES (1, 'u', 'u@x.io', 'h', {now}, {now})"))
            conn.execute(sa.text(
                "INSERT INTO articles (id, slug, title, description, body, author_id,"
                f" created_at, updated_at) VALUES (1, 's', 't', 'd', 'b', 1, {now}, {now})"))
            conn.execute(sa.text("INSERT INTO tags (id, name) VALUES (1, 'x')"))
            conn.execute(sa.text(
                "INSERT INTO article_tags (article_id, tag_id, position) VALUES (1, 1, 0)"))
            conn.execute(sa.text(
                f"INSERT INTO favorites (user_id, article_id, created_at) VALUES (1, 1, {now})"))
            conn.execute(sa.text(
                "INSERT INTO comments (body, article_id, author_id, created_at, updated_at)"
                f" VALUES ('c', 1, 1, {now}, {now})"))
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM articles WHERE id = 1"))
        with engine.connect() as conn:
            for table in ("article_tags", "favorites", "comments"):
                assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() == 0
            assert conn.execute(sa.text("SELECT count(*) FROM tags")).scalar() == 1
    finally:
        engine.dispose()


def test_audit_rows_stored_with_the_cli_flag_read_as_the_domain_state(databases, database_kind):
    url = databases.create(database_kind, migrated=False)
    assert strangler("db", "upgrade", "0005_login_limits_sessions", url=url).returncode == 0
    engine = sa.create_engine(database_url(url))
    try:
        with engine.begin() as conn:
            # What a database migrated before the tooling had its own branch holds.
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).all() == [
                ("0005_login_limits_sessions",)]
            conn.execute(sa.text(
                "INSERT INTO route_changes (route, from_state, to_state, actor, changed_at) VALUES"
                " ('GET /api/tags', 'flask', 'flask --no-shadow', 'ada', '2026-01-01 00:00:00'),"
                " ('GET /api/tags', 'flask --no-shadow', 'flask', 'ada', '2026-01-02 00:00:00')"))

        up = strangler("db", "upgrade", url=url)
        assert up.returncode == 0, up.stderr
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT from_state, to_state FROM route_changes ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [("flask", "flask alone"), ("flask alone", "flask")]

        down = strangler("db", "downgrade", "0005_login_limits_sessions", url=url)
        assert down.returncode == 0, down.stderr
        with engine.connect() as conn:
            assert conn.execute(sa.text(
                "SELECT count(*) FROM route_changes WHERE to_state = 'flask --no-shadow'"
            )).scalar() == 1
    finally:
        engine.dispose()


def test_the_backend_and_the_tooling_have_a_branch_each(databases, database_kind):
    url = databases.create(database_kind, migrated=False)
    heads = strangler("db", "heads", url=url)
    assert heads.returncode == 0, heads.stderr
    assert "0001_conduit_schema (backend)" in heads.stdout
    assert "(tooling) (head)" in heads.stdout

    assert strangler("db", "upgrade", "backend@head", url=url).returncode == 0
    assert table_names(url) - {"alembic_version"} == CONDUIT_TABLES  # the backend alone
    up = strangler("db", "upgrade", url=url)
    assert up.returncode == 0, up.stderr
    assert {"route_changes", "dashboard_users", "parity_comparisons"} <= table_names(url)
