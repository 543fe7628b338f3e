"""Shadow dry-runs: a request with a valid marker runs, then everything it wrote is rolled back.

The marker is the header ``X-Strangler-Dry-Run`` holding a value signed with itsdangerous'
TimestampSigner (secret ``STRANGLER_DRY_RUN_SECRET``, else the JWT secret; salt
``strangler-dry-run``), at most 30 seconds old. With a valid marker the request's session is
bound to one connection inside an outer transaction: the services' commits only release
savepoints, the outer transaction is rolled back at teardown, and no signal receiver runs.
An invalid marker is refused with 400 ``{"errors":{"dry-run":["is invalid"]}}``.
"""

from __future__ import annotations

import sqlite3

from flask import Flask, current_app, g, request
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from backend import signals
from backend.database import db
from backend.errors import BadRequest

HEADER = "X-Strangler-Dry-Run"
SALT = "strangler-dry-run"
MAX_AGE_SECONDS = 30


def signer(app: Flask | None = None) -> TimestampSigner:
    """Return the signer for dry-run markers of ``app`` (the current app by default)."""
    config = (app or current_app).config
    secret = config.get("STRANGLER_DRY_RUN_SECRET") or config["JWT_SECRET"]
    return TimestampSigner(secret, salt=SALT)


def marker(app: Flask | None = None, value: str = "dry-run") -> str:
    """Return a fresh marker value for the ``X-Strangler-Dry-Run`` header."""
    return signer(app).sign(value).decode("ascii")


def begin() -> None:
    """Verify the request's marker, if any, and open the transaction that will be rolled back."""
    value = request.headers.get(HEADER)
    if value is None:
        return
    try:
        signer().unsign(value, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        raise BadRequest("dry-run", "is invalid") from None
    connection = db.engine.connect()
    transaction = connection.begin()
    if connection.dialect.name == "sqlite":
        _begin_sqlite(connection)
    db.session.remove()
    # A plain Session on purpose: Flask-SQLAlchemy's would ignore bind= and use its engine.
    dry_session = Session(bind=connection, join_transaction_mode="create_savepoint")
    db.session.registry.set(dry_session)  # type: ignore[arg-type]
    g.dry_run = (connection, transaction, signals.suppress())


def end(_error: BaseException | None = None) -> None:
    """Roll back everything a dry-run request wrote and restore signals."""
    state = g.pop("dry_run", None)
    if state is None:
        return
    connection, transaction, token = state
    db.session.remove()
    transaction.rollback()
    if connection.dialect.name == "sqlite":
        # "" is sqlite3's own default (typeshed lists only the named modes and None)
        _sqlite3(connection).isolation_level = ""  # type: ignore[assignment]
    connection.close()
    signals.restore(token)


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
    """Check markers before each request; roll dry-runs back after it."""
    app.before_request(begin)
    app.teardown_request(end)
