"""Dashboard accounts: create and change them from the CLI, check credentials at login.

``strangler users create NAME --role viewer|operator`` prompts for the password twice, or
reads one line from standard input with ``--password-stdin`` (scripts, tests);
``users set-password NAME`` and ``users set-role NAME ROLE`` change an account and end all
of its sessions (a cookie copied before the change no longer works).
"""

from __future__ import annotations

import sys
from functools import cache

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from backend.database import db
from rollout.dashboard import session as dashboard_session
from rollout.dashboard.models import DashboardUser, Role

MIN_PASSWORD = 8


@cache
def _dummy() -> DashboardUser:
    """Return the account checked when the username is unknown, so that a wrong name costs as
    long as a wrong password. Hashed on first use, not on import (the CLI imports this).
    """
    dummy = DashboardUser(password_hash="")
    dummy.set_password("not a password of anyone")
    return dummy


class AccountError(ValueError):
    """An account cannot be created as asked."""


def create_user(username: str, password: str, role: Role) -> DashboardUser:
    """Create and commit an account; raise AccountError on a taken name or short password."""
    username = username.strip()
    if not username or len(username) > 100:
        raise AccountError("the username must be 1 to 100 characters")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must be at least {MIN_PASSWORD} characters")
    if find_user(username) is not None:
        raise AccountError(f"user {username!r} already exists")
    user = DashboardUser(username=username, role=Role(role).value)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def change_password(username: str, password: str) -> DashboardUser:
    """Set a new password and end every session of the account."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must be at least {MIN_PASSWORD} characters")
    user = _existing(username)
    user.set_password(password)
    dashboard_session.revoke_all(user)
    db.session.commit()
    return user


def change_role(username: str, role: Role) -> DashboardUser:
    """Give the account another role and end every session of it."""
    user = _existing(username)
    user.role = Role(role).value
    dashboard_session.revoke_all(user)
    db.session.commit()
    return user


def _existing(username: str) -> DashboardUser:
    user = find_user(username)
    if user is None:
        raise AccountError(f"no user {username!r}")
    return user


def find_user(username: str) -> DashboardUser | None:
    """Return the account named ``username``, if any."""
    return db.session.scalar(sa.select(DashboardUser).where(DashboardUser.username == username))


def authenticate(username: str, password: str) -> DashboardUser | None:
    """Return the account if ``password`` is right for ``username``, else None."""
    user = find_user(username)
    if user is None:
        _dummy().check_password(password)
        return None
    return user if user.check_password(password) else None


@click.group("users", help="Accounts of the parity dashboard.")
def users_cli() -> None:
    """Manage dashboard accounts."""


@users_cli.command("create")
@click.argument("username")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), required=True,
    help="viewer reads the dashboard; operator may also flip routes.",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_command(username: str, role: str, password_stdin: bool) -> None:
    """Create a dashboard account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(username, password, Role(role))
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {user.role} {user.username}")


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def set_password_command(username: str, password_stdin: bool) -> None:
    """Change an account's password; its sessions end."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        user = change_password(username, password)
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"changed the password of {user.username}; its sessions ended")


@users_cli.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice([r.value for r in Role]))
@with_appcontext
def set_role_command(username: str, role: str) -> None:
    """Change an account's role; its sessions end."""
    try:
        user = change_role(username, Role(role))
    except AccountError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{user.username} is now {user.role}; its sessions ended")


@users_cli.command("list")
@with_appcontext
def list_command() -> None:
    """List dashboard accounts."""
    for user in db.session.scalars(sa.select(DashboardUser).order_by(DashboardUser.username)):
        click.echo(f"{user.username}\t{user.role}\t{user.created_at:%Y-%m-%d %H:%M}")
