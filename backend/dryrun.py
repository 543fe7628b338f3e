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

A ``dry-run`` report also says what the transaction changed, so shadow mode can compare it with
what the control committed (shadow.effects): ``changes`` (``{"table", "op": "+"|"~"|"-",
"key", "before", "after"}``, whole rows, net of savepoints the request rolled back) and
``rows`` (per table, the primary keys of every row the request wrote or loaded as an entity:
the rows shadow mode reads back after the control). Writes are seen at the Core level
(ConnectionEvents ``before_execute`` on the dry-run's connection), so ORM flushes, ORM-enabled
``insert/update/delete`` and plain Core statements alike are captured; only textual SQL is not
(the backend has none). Before an UPDATE or DELETE the rows its WHERE matches are read (their
before-images); before the first INSERT into a table with one integer key its highest key is
read (rows above it at the end are the inserts), otherwise the keys come from the parameters.
At the end the session is closed first (an uncommitted savepoint is rolled back, as it would
be for real) and the touched rows are read again: their after-images.
"""

from __future__ import annotations

import json
import sqlite3
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
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
MAX_ROWS = 500  # rows a table may contribute to one report (before-images, loads)


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
    touched: dict[str, _Touched] = field(default_factory=dict)
    loaded: dict[str, set[tuple[Any, ...]]] = field(default_factory=dict)
    capturing: bool = False
    changes: list[dict[str, Any]] | None = None

    def report(self) -> str:
        effects: dict[str, Any] = {"mode": self.mode, "escaped": self.escaped,
                                   "wrote_during_read": self.wrote_during_read}
        if self.changes is not None:
            effects["changes"] = self.changes
            rows: dict[str, set[tuple[Any, ...]]] = {
                name: set(keys) for name, keys in self.loaded.items()}
            for name, touched in self.touched.items():
                rows.setdefault(name, set()).update(touched.before)
                rows[name].update(touched.after)
            effects["rows"] = {name: sorted((list(key) for key in keys), key=repr)
                               for name, keys in rows.items()}
        return json.dumps(effects, default=_plain)


@dataclass
class _Touched:
    """One table a dry-run wrote: the before-image of each row its statements matched."""

    table: sa.Table
    before: dict[tuple[Any, ...], dict[str, Any] | None] = field(default_factory=dict)
    above: Any = None  # the highest key before the first INSERT (one integer key only)
    after: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)


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
        run = state[0]
        if run.mode != READ_ONLY and not run.escaped:
            db.session.remove()  # an uncommitted savepoint is rolled back, as it would be
            try:
                run.changes = _changes(run)
            except sa.exc.SQLAlchemyError as error:  # e.g. the request left it aborted
                run.changes = [{"error": f"{type(error).__name__}: {error}"[:STATEMENT_CHARS]}]
        response.headers[EFFECTS_HEADER] = run.report()
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


@sa.event.listens_for(sa.Engine, "before_execute")
def _before_write(connection: Connection, statement: Any, multiparams: Any, params: Any,
                  _options: Any) -> None:
    """Before a dry-run's INSERT, UPDATE or DELETE, read what it is about to change."""
    run = _current.get()
    if (run is None or run.mode == READ_ONLY or run.capturing or connection is not run.connection
            or not isinstance(statement, (sa.Insert, sa.Update, sa.Delete))):
        return
    table = statement.table
    if not isinstance(table, sa.Table):
        return
    touched = run.touched.setdefault(table.name, _Touched(table))
    sets = list(multiparams) if multiparams else [params or {}]
    run.capturing = True
    try:
        if isinstance(statement, sa.Insert):
            _before_insert(connection, touched, sets)
        else:
            where = statement.whereclause
            query = sa.select(*table.c).limit(MAX_ROWS)
            if where is not None:
                query = query.where(where)
            matched: list[dict[str, Any]] = []
            for values in sets:
                for row in connection.execute(query, values).mappings():
                    touched.before.setdefault(_key(table, row), dict(row))
                    matched.append(dict(row))
            if isinstance(statement, sa.Delete):
                _before_cascade(run, connection, table, matched, 3)
    finally:
        run.capturing = False


def _before_cascade(run: _Run, connection: Connection, table: sa.Table,
                    deleted: list[dict[str, Any]], depth: int) -> None:
    """Read the rows a DELETE takes with it (``ON DELETE CASCADE``): the database deletes
    them without a statement of the request's, and the control's delete takes them too."""
    if not deleted or depth == 0:
        return
    for other in table.metadata.tables.values():
        for foreign in other.foreign_keys:
            if (foreign.column.table.name != table.name
                    or (foreign.ondelete or "").upper() != "CASCADE"):
                continue
            values = sorted({row[foreign.column.name] for row in deleted} - {None})
            if not values:
                continue
            touched = run.touched.setdefault(other.name, _Touched(other))
            found = [dict(row) for row in connection.execute(
                sa.select(*other.c).where(foreign.parent.in_(values)).limit(MAX_ROWS)).mappings()]
            for row in found:
                touched.before.setdefault(_key(other, row), row)
            _before_cascade(run, connection, other, found, depth - 1)


def _before_insert(connection: Connection, touched: _Touched, sets: list[Any]) -> None:
    table = touched.table
    keys = list(table.primary_key.columns)
    if len(keys) == 1 and keys[0].type._type_affinity is sa.Integer:  # noqa: SLF001
        if touched.above is None:
            highest = connection.execute(sa.select(sa.func.max(keys[0]))).scalar()
            touched.above = 0 if highest is None else highest
        return
    for values in sets:
        if isinstance(values, dict) and all(column.key in values for column in keys):
            key = tuple(values[column.key] for column in keys)
            if key not in touched.before:
                query = sa.select(*table.c).where(*(c == v for c, v in zip(keys, key,
                                                                              strict=True)))
                row = connection.execute(query).mappings().first()
                touched.before[key] = None if row is None else dict(row)


@sa.event.listens_for(sa.orm.Mapper, "load")
def _loaded(target: Any, _context: Any) -> None:
    """Remember the rows a dry-run loaded as entities: shadow mode reads them back."""
    run = _current.get()
    if run is None or run.mode == READ_ONLY:
        return
    state = sa.inspect(target)
    table = state.mapper.local_table
    keys = run.loaded.setdefault(table.name, set())
    if len(keys) < MAX_ROWS and state.identity is not None:
        keys.add(tuple(state.identity))


def _changes(run: _Run) -> list[dict[str, Any]]:
    """Read the touched rows again at the end: the net row changes of the dry-run."""
    found: list[dict[str, Any]] = []
    run.capturing = True
    try:
        for name in sorted(run.touched):
            touched = run.touched[name]
            table = touched.table
            keys = list(table.primary_key.columns)
            query = sa.select(*table.c)
            conditions = []
            known = [key for key in touched.before if key is not None]
            if known:
                conditions.append(sa.tuple_(*keys).in_(known) if len(keys) > 1
                                  else keys[0].in_([key[0] for key in known]))
            if touched.above is not None:
                conditions.append(keys[0] > touched.above)
            if not conditions:
                continue
            for row in run.connection.execute(query.where(sa.or_(*conditions))
                                              .limit(MAX_ROWS)).mappings():
                touched.after[_key(table, row)] = dict(row)
            for key in sorted(set(touched.before) | set(touched.after), key=repr):
                before, after = touched.before.get(key), touched.after.get(key)
                if before == after:
                    continue
                op = "+" if before is None else "-" if after is None else "~"
                found.append({"table": name, "op": op,
                              "key": dict(zip([c.name for c in keys], key, strict=True)),
                              "before": before, "after": after})
    finally:
        run.capturing = False
    return found


def _key(table: sa.Table, row: Any) -> tuple[Any, ...]:
    return tuple(row[column.name] for column in table.primary_key.columns)


def _plain(value: Any) -> Any:
    """JSON for the row values a report carries (timestamps as ISO 8601, UTC as stored)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


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
