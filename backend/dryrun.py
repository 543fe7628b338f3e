"""Shadow dry-runs: a request with a valid marker runs, then everything it wrote is rolled back.

The marker is the header ``X-Strangler-Dry-Run`` holding a value signed with itsdangerous'
TimestampSigner (secret ``STRANGLER_DRY_RUN_SECRET``, else the JWT secret; salt
``strangler-dry-run``), at most 30 seconds old. With a valid marker the request's session is
bound to one connection inside an outer transaction: the services' commits only release
savepoints, the outer transaction is rolled back at teardown, and no signal receiver runs.
An invalid marker is refused with 400 ``{"errors":{"dry-run":["is invalid"]}}``.

A marker whose signed value is ``read-only`` (shadow mode's mirrored reads) runs the same way
in a read-only transaction (PostgreSQL ``SET TRANSACTION READ ONLY``, SQLite
``PRAGMA query_only``): a write fails there and is reported. Under either marker, a statement
on any other connection or a COMMIT would escape the rollback: it is refused before it runs
and reported. The report is the JSON response header ``X-Strangler-Effects``
(``{"mode", "escaped", "wrote_during_read"}``, lists of statements), sent only to a request
that carried a valid marker.
"""

from __future__ import annotations

import json
import sqlite3
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import Connection, RootTransaction
from sqlalchemy.orm import Session

from backend import signals
from backend.database import db
from backend.errors import BadRequest

HEADER = "X-Strangler-Dry-Run"
SALT = "strangler-dry-run"
MAX_AGE_SECONDS = 30
EFFECTS_HEADER = "X-Strangler-Effects"
READ_ONLY = "read-only"
STATEMENT_CHARS = 200


class EscapedWrite(RuntimeError):
    """A statement that would escape a dry-run's rollback (refused before it ran)."""


@dataclass
class _Run:
    """One marked request: its connection, the transaction rolled back, what it tried."""

    connection: Connection
    transaction: RootTransaction
    token: Any
    mode: str
    escaped: list[str] = field(default_factory=list)
    wrote_during_read: list[str] = field(default_factory=list)

    def report(self) -> str:
        return json.dumps({"mode": self.mode, "escaped": self.escaped,
                           "wrote_during_read": self.wrote_during_read})


_current: ContextVar[_Run | None] = ContextVar("strangler_dry_run", default=None)


def signer(app: Flask | None = None) -> TimestampSigner:
    """Return the signer for dry-run markers of ``app`` (the current app by default)."""
    config = (app or current_app).config
    secret = config.get("STRANGLER_DRY_RUN_SECRET") or config["JWT_SECRET"]
    return TimestampSigner(secret, salt=SALT)


def marker(app: Flask | None = None, value: str = "dry-run") -> str:
    """Return a fresh marker value for the ``X-Strangler-Dry-Run`` header (or ``read-only``)."""
    return signer(app).sign(value).decode("ascii")


def begin() -> None:
    """Verify the request's marker, if any, and open the transaction that will be rolled back."""
    value = request.headers.get(HEADER)
    if value is None:
        return
    try:
        signed = signer().unsign(value, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        raise BadRequest("dry-run", "is invalid") from None
    mode = READ_ONLY if signed == READ_ONLY.encode() else "dry-run"
    connection = db.engine.connect()
    transaction = connection.begin()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        _begin_sqlite(connection)
    if mode == READ_ONLY:
        connection.exec_driver_sql("PRAGMA query_only = ON" if sqlite
                                   else "SET TRANSACTION READ ONLY")
    db.session.remove()
    # A plain Session on purpose: Flask-SQLAlchemy's would ignore bind= and use its engine.
    dry_session = Session(bind=connection, join_transaction_mode="create_savepoint")
    db.session.registry.set(dry_session)  # type: ignore[arg-type]
    run = _Run(connection, transaction, signals.suppress(), mode)
    g.dry_run = (run, _current.set(run))


def report(response: Response) -> Response:
    """Tell the marked request's caller what escaped or was written during a read."""
    state = g.get("dry_run")
    if state is not None:
        response.headers[EFFECTS_HEADER] = state[0].report()
    return response


def end(_error: BaseException | None = None) -> None:
    """Roll back everything a dry-run request wrote and restore signals."""
    state = g.pop("dry_run", None)
    if state is None:
        return
    run, current = state
    connection = run.connection
    db.session.remove()
    run.transaction.rollback()
    if connection.dialect.name == "sqlite":
        if run.mode == READ_ONLY:
            connection.exec_driver_sql("PRAGMA query_only = OFF")
        # "" is sqlite3's own default (typeshed lists only the named modes and None)
        _sqlite3(connection).isolation_level = ""  # type: ignore[assignment]
    _current.reset(current)
    connection.close()
    signals.restore(run.token)


@sa.event.listens_for(sa.Engine, "before_cursor_execute", retval=True)
def _guard(connection: Connection, _cursor: Any, statement: str, parameters: Any,
           _context: Any, _executemany: bool) -> tuple[str, Any]:
    """Refuse, and remember, a marked request's statement that would outlive its rollback."""
    run = _current.get()
    if run is None:
        return statement, parameters
    words = statement.lstrip().split(None, 1)
    verb = words[0].upper() if words else ""
    if connection is not run.connection or verb in ("COMMIT", "END"):
        run.escaped.append(statement[:STATEMENT_CHARS])
        raise EscapedWrite(f"a dry-run statement would escape its rollback: {statement[:80]}")
    return statement, parameters


@sa.event.listens_for(sa.Engine, "commit")
def _committed(connection: Connection) -> None:
    """Refuse, and remember, a commit during a marked request (its own never commits)."""
    run = _current.get()
    if run is not None:
        run.escaped.append("COMMIT")
        raise EscapedWrite("a dry-run would commit")


@sa.event.listens_for(sa.Engine, "handle_error")
def _failed(context: Any) -> None:
    """Remember a write refused by a read-only transaction."""
    run = _current.get()
    if run is None or run.mode != READ_ONLY:
        return
    error = context.original_exception
    refused = getattr(error, "sqlstate", None) == "25006" or (
        isinstance(error, sqlite3.OperationalError) and "readonly" in str(error))
    if refused:
        run.wrote_during_read.append(str(context.statement or "")[:STATEMENT_CHARS])


def _begin_sqlite(connection: Connection) -> None:
    """Open a real outer transaction on SQLite.

    Python's sqlite3 module (legacy transaction control) begins transactions only before DML,
    so a SAVEPOINT would start, and its RELEASE commit, the outermost transaction. With the
    driver's own transaction handling off, an explicit BEGIN makes the savepoints nest.
    """
    _sqlite3(connection).isolation_level = None
    connection.exec_driver_sql("BEGIN")


def _sqlite3(connection: Connection) -> sqlite3.Connection:
    """Return the sqlite3 connection under ``connection`` (a SQLite one)."""
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver


def init_app(app: Flask) -> None:
    """Check markers before each request, report escapes after it, roll dry-runs back."""
    app.before_request(begin)
    app.after_request(report)
    app.teardown_request(end)
