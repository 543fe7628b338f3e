"""``strangler users create``: accounts with hashed passwords and a role."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from backend.database import db
from rollout.cli import cli
from rollout.dashboard.accounts import authenticate
from rollout.dashboard.models import DashboardUser


def users(app, *args: str, password: str = "a long passphrase\n"):
    return app.test_cli_runner().invoke(cli, ["users", *args], input=password)


def test_create_reads_the_password_from_stdin_and_stores_only_a_hash(proxy_app):
    result = users(proxy_app, "create", "carol", "--role", "viewer", "--password-stdin")
    assert result.exit_code == 0, result.output
    assert "created viewer carol" in result.output
    with proxy_app.app_context():
        user = db.session.scalar(sa.select(DashboardUser).where(DashboardUser.username == "carol"))
        assert user.role == "viewer"
        assert "a long passphrase" not in user.password_hash
        assert authenticate("carol", "a long passphrase") == user
        assert authenticate("carol", "a long passphrase ") is None


def test_create_prompts_twice_without_password_stdin(proxy_app):
    result = users(proxy_app, "create", "dave", "--role", "operator",
                   password="hunter2hunter2\nhunter2hunter2\n")
    assert result.exit_code == 0, result.output
    assert "created operator dave" in result.output
    assert "dave\toperator" in users(proxy_app, "list").output


@pytest.mark.parametrize(("args", "message"), [
    (["create", "vera", "--role", "viewer", "--password-stdin"], "already exists"),
    (["create", "erin", "--role", "admin", "--password-stdin"], "'admin' is not one of"),
    (["create", "erin", "--password-stdin"], "Missing option '--role'"),
])
def test_create_refuses_bad_requests(proxy_app, args, message):
    result = users(proxy_app, *args)
    assert result.exit_code != 0
    assert message in result.output


def test_a_short_password_is_refused(proxy_app):
    result = users(proxy_app, "create", "frank", "--role", "viewer", "--password-stdin",
                   password="short\n")
    assert result.exit_code == 1
    assert "at least 8 characters" in result.output


def test_set_password_and_set_role_change_the_account(proxy_app):
    users(proxy_app, "create", "gina", "--role", "viewer", "--password-stdin")
    changed = users(proxy_app, "set-password", "gina", "--password-stdin",
                    password="a new long passphrase\n")
    assert changed.exit_code == 0, changed.output
    assert "its sessions ended" in changed.output
    role = users(proxy_app, "set-role", "gina", "operator")
    assert role.exit_code == 0, role.output
    with proxy_app.app_context():
        user = authenticate("gina", "a new long passphrase")
        assert user is not None and user.is_operator
    assert users(proxy_app, "set-role", "nobody", "viewer").exit_code == 1
    assert "at least 8" in users(proxy_app, "set-password", "gina", "--password-stdin",
                                 password="short\n").output
