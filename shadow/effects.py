"""Effects: compare the rows a dry-run candidate changed with the rows the control committed.

An answer can be right while the write behind it is wrong (an update never committed, a
comment stored with the wrong body, an extra tag row). A dry-run candidate's seam
(backend/dryrun.py) reports its transaction's net row changes before the rollback
(``changes``: table, op ``+``/``~``/``-``, primary key, before and after images) and the
keys of every row it wrote or loaded (``rows``). Shadow mode then:

1. **before the control runs** (``Watch.snapshot``, on the request path, one short
   transaction): reads the *watched rows* from the shared database: the rows the candidate
   named, and the rows of every table whose foreign keys all point at named rows (the follows
   between two named users, the favorites of a named user on a named article, the comments of
   a named author on a named article, the articles of a named author); and the highest key of
   each of those tables with one integer key (a high-water mark);
2. **after the control committed** (``Watch.differences``, in the Mirror's worker): reads
   them again, plus the rows that point at rows that are new, the rows new rows point at
   above a high-water mark, and, in tables the candidate inserted into, rows above the mark
   with the same natural key as one of its inserts. The difference is the control's effect:
   updates and deletes of the named rows, inserts anywhere in the watched set (a row found
   only through its foreign keys, e.g. another article of the same author, is watched for
   being added, not for edits, which are other requests' business).

The two effects are matched without autoincrement ids: updates and deletes by primary key
(the row existed on both sides), inserts by **natural key** (the first unique constraint,
else a composite primary key, else every column but the key and timestamps), foreign keys
replaced by the natural key of the row they point at (``articles.slug``, ``users.email``,
``tags.name``; a comment by its body, article and author). Values are compared exactly,
except: timestamps within ``TIME_TOLERANCE`` (the sides write them at different instants),
secret columns (password hashes, tokens: salted, never equal) by shape (both null, or the
same length and ``$`` structure), and shown as ``[REDACTED]``. A missing, extra or
different change is a Difference at ``effects.<table>[+|~|-]`` (``.column`` for a value).

General over tables: nothing here names one; the schema is reflected from the database.
Known blind spot: an insert the candidate did not make into a table that neither points
at a watched row nor is pointed at by a new row (a registration never committed) is not
seen, since nothing names it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from shadow.observation import Difference, Kind

TIME_TOLERANCE = timedelta(seconds=30)
SECRET_COLUMN = re.compile(r"password|hash|token|secret|salt", re.IGNORECASE)
REDACTED = "[REDACTED]"
MAX_ROWS = 500  # rows one query may read
VALUE_CHARS = 200

Key = tuple[Any, ...]
Rows = dict[str, dict[Key, dict[str, Any]]]


class Schema:
    """The shared database's tables, reflected on first use (and again for a new table)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self._lock = threading.Lock()
        self._metadata: sa.MetaData | None = None

    def tables(self) -> Mapping[str, sa.Table]:
        with self._lock:
            if self._metadata is None:
                metadata = sa.MetaData()
                metadata.reflect(self.engine)
                self._metadata = metadata
            return self._metadata.tables

    def table(self, name: str) -> sa.Table | None:
        table = self.tables().get(name)
        if table is None:
            with self._lock:
                self._metadata = None  # a table created since: reflect again next time
        return table


def _keys(table: sa.Table) -> list[sa.Column[Any]]:
    return list(table.primary_key.columns)


def _serial(table: sa.Table) -> sa.Column[Any] | None:
    """Return the table's one integer primary key column, if it has exactly that."""
    keys = _keys(table)
    if len(keys) == 1 and isinstance(keys[0].type, sa.Integer):
        return keys[0]
    return None


def _is_time(column: sa.Column[Any]) -> bool:
    return isinstance(column.type, sa.DateTime | sa.Date)


def natural_key(table: sa.Table) -> list[str]:
    """Return the columns that identify a row of ``table`` without its autoincrement id."""
    uniques = sorted(
        [tuple(c.name for c in constraint.columns) for constraint in table.constraints
         if isinstance(constraint, sa.UniqueConstraint) and len(constraint.columns)]
        + [tuple(c.name for c in index.columns) for index in table.indexes if index.unique])
    if uniques:
        return list(uniques[0])
    keys = _keys(table)
    if len(keys) > 1:
        return [column.name for column in keys]
    return [column.name for column in table.columns
            if not column.primary_key and not _is_time(column)]


def _references(column: sa.Column[Any]) -> sa.Table | None:
    """Return the table a one-column foreign key on ``column`` points at (its key)."""
    for foreign in column.foreign_keys:
        target = foreign.column.table
        if isinstance(target, sa.Table) and _serial(target) is foreign.column:
            return target
    return None


def _where_keys(table: sa.Table, keys: Iterable[Key]) -> Any:
    columns = _keys(table)
    wanted = sorted(set(keys), key=repr)
    if len(columns) == 1:
        return columns[0].in_([key[0] for key in wanted])
    return sa.tuple_(*columns).in_(wanted)


def _key_of(table: sa.Table, row: Mapping[str, Any]) -> Key:
    return tuple(row[column.name] for column in _keys(table))


@dataclass
class State:
    """The watched rows at one instant, and the high-water marks taken with them."""

    rows: Rows = field(default_factory=dict)
    above: dict[str, Any] = field(default_factory=dict)
    new: set[tuple[str, Key]] = field(default_factory=set)

    def add(self, table: sa.Table, found: Iterable[Any]) -> list[Key]:
        added = []
        mine = self.rows.setdefault(table.name, {})
        for row in found:
            key = _key_of(table, row)
            if key not in mine:
                mine[key] = dict(row)
                added.append(key)
        return added


@dataclass(frozen=True)
class Change:
    table: str
    op: str
    key: Key
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class Watch:
    """One dry-run's effects check: ``snapshot`` before the control, ``differences`` after."""

    def __init__(self, schema: Schema, report: Mapping[str, Any]) -> None:
        self.schema = schema
        self.errors = [str(c["error"]) for c in report.get("changes") or () if "error" in c]
        self.reported = [c for c in report.get("changes") or () if "table" in c]
        self.seeds: dict[str, set[Key]] = {}
        for name, keys in (report.get("rows") or {}).items():
            self.seeds[name] = {tuple(key) for key in keys}
        self.before: State | None = None
        self.foreign: set[tuple[str, Key]] = set()  # candidate "inserts" someone else committed
        self.held: sa.Connection | None = None
        self.read_at: float | None = None  # when the read-back's view of the data was taken

    def snapshot(self) -> None:
        """Read the watched rows and high-water marks (before the control runs)."""
        with self.schema.engine.connect() as connection:
            state = self._watched(connection)
            for change in self._candidate_changes():
                table = self.schema.table(change.table)
                serial = _serial(table) if table is not None else None
                if table is not None and serial is not None:
                    state.above.setdefault(table.name, connection.execute(
                        sa.select(sa.func.max(serial))).scalar() or 0)
                if table is not None and change.op == "+":
                    found = connection.execute(sa.select(*_keys(table)).where(
                        _where_keys(table, [change.key]))).first()
                    if found is not None:
                        self.foreign.add((change.table, change.key))
            connection.rollback()
        self.before = state

    def hold(self) -> None:
        """Fix the read-back's view of the data now (the control has committed and the client
        has not been answered yet): a REPEATABLE READ transaction whose snapshot is taken here
        and read later, off the request path. So a write the client sends after this answer
        cannot be in the read-back, nor count as a race. PostgreSQL only: on SQLite a held read
        transaction would block writers, and the rows are read when compared."""
        if self.before is None or self.schema.engine.dialect.name != "postgresql":
            return
        try:
            connection = self.schema.engine.connect().execution_options(
                isolation_level="REPEATABLE READ")
        except sa.exc.TimeoutError:
            return  # the pool is exhausted: read the rows when comparing, never wait here
        try:
            connection.begin()
            connection.execute(sa.select(1))  # the snapshot is taken at the first statement
        except BaseException:
            connection.close()
            raise
        self.held, self.read_at = connection, time.time()

    def release(self) -> None:
        """Give back a held read-back transaction that will not be used."""
        if self.held is not None:
            self.held.close()
            self.held = None

    def differences(self) -> list[Difference]:
        """Compare the control's committed effect with the candidate's reported one."""
        if self.before is None:
            self.release()
            return []
        found = [Difference("effects", Kind.CHANGED, None, f"not reported: {error}"[:VALUE_CHARS])
                 for error in self.errors]
        held, self.held = self.held, None
        with held if held is not None else self.schema.engine.connect() as connection:
            after = self._watched(connection)
            self._discover(connection, after)
            control = self._control_changes(after)
            candidate = [c for c in self._candidate_changes()
                         if (c.table, c.key) not in self.foreign]
            found += _Matcher(self.schema, connection, self.before, after).compare(
                control, candidate)
            connection.rollback()
        return found

    def _candidate_changes(self) -> list[Change]:
        changes = []
        for item in self.reported:
            table = self.schema.table(item["table"])
            if table is None:
                continue
            before = _normal(table, item.get("before"))
            after = _normal(table, item.get("after"))
            key = _key_of(table, after if after is not None else before or {})
            changes.append(Change(table.name, item["op"], key, before, after))
        return changes

    def _watched(self, connection: sa.Connection) -> State:
        state = State()
        tables = self.schema.tables()
        named = {name: keys for name, keys in self.seeds.items() if name in tables and keys}
        for name, keys in named.items():
            table = tables[name]
            state.add(table, connection.execute(
                sa.select(*table.c).where(_where_keys(table, keys)).limit(MAX_ROWS)).mappings())
        for table in tables.values():
            pointers = [(c, _references(c)) for c in table.columns if c.foreign_keys]
            if not pointers or any(t is None or t.name not in named for _, t in pointers):
                continue
            conditions = [column.in_(sorted(key[0] for key in named[target.name]))
                          for column, target in pointers if target is not None]
            state.add(table, connection.execute(
                sa.select(*table.c).where(*conditions).limit(MAX_ROWS)).mappings())
            serial = _serial(table)
            if serial is not None:
                state.above[table.name] = connection.execute(
                    sa.select(sa.func.max(serial))).scalar() or 0
        return state

    def _discover(self, connection: sa.Connection, after: State) -> None:
        """Add to ``after`` the rows the control made that the watched rows lead to."""
        assert self.before is not None
        before, tables = self.before, self.schema.tables()
        fresh: dict[str, set[Key]] = {}
        for name, rows in after.rows.items():
            for key in rows:
                if key not in before.rows.get(name, {}):
                    fresh.setdefault(name, set()).add(key)
        for change in self._candidate_changes():  # same natural key as a candidate insert
            table = tables.get(change.table)
            serial = _serial(table) if table is not None else None
            if (change.op != "+" or table is None or serial is None or change.after is None
                    or table.name not in before.above):
                continue
            columns = natural_key(table)
            if any(table.c[name].foreign_keys for name in columns):
                continue
            found = connection.execute(sa.select(*table.c).where(
                serial > before.above[table.name],
                *(table.c[name] == change.after.get(name) for name in columns))).mappings()
            for key in after.add(table, found):
                fresh.setdefault(table.name, set()).add(key)
        for _ in range(3):  # new rows lead to new rows: an article, its tags, its tag rows
            step: dict[str, set[Key]] = {}
            for table in tables.values():
                for column in table.columns:
                    target = _references(column)
                    if target is None or not fresh.get(target.name):
                        continue
                    pointing = connection.execute(sa.select(*table.c).where(column.in_(
                        sorted(key[0] for key in fresh[target.name]))).limit(MAX_ROWS))
                    for key in after.add(table, pointing.mappings()):
                        step.setdefault(table.name, set()).add(key)
            for name, keys in fresh.items():
                table = tables[name]
                for column in table.columns:
                    target = _references(column)
                    serial = _serial(target) if target is not None else None
                    if target is None or serial is None or target.name not in before.above:
                        continue
                    values = {after.rows[name][key][column.name] for key in keys} - {None}
                    values = {v for v in values if v > before.above[target.name]}
                    if values:
                        found = connection.execute(sa.select(*target.c).where(
                            serial.in_(sorted(values)))).mappings()
                        for key in after.add(target, found):
                            step.setdefault(target.name, set()).add(key)
            if not step:
                break
            fresh = step
        after.new = {(name, key) for name, rows in after.rows.items() for key in rows
                     if key not in before.rows.get(name, {})}

    def _control_changes(self, after: State) -> list[Change]:
        assert self.before is not None
        changes = []
        for name in sorted(set(self.before.rows) | set(after.rows)):
            old, new = self.before.rows.get(name, {}), after.rows.get(name, {})
            for key in sorted(set(old) | set(new), key=repr):
                before, now = old.get(key), new.get(key)
                if before == now:
                    continue
                op = "+" if before is None else "-" if now is None else "~"
                if op != "+" and key not in self.seeds.get(name, ()):
                    # a row found through its foreign keys only (another article of the same
                    # author): watched for rows added to it, not for other requests' edits
                    continue
                changes.append(Change(name, op, key, before, now))
        return changes


class _Matcher:
    """Match the two sides' changes and describe what differs."""

    def __init__(self, schema: Schema, connection: sa.Connection, before: State,
                 after: State) -> None:
        self.tables = schema.tables()
        self.connection = connection
        self.before = before
        self.after = after
        self.fetched: dict[tuple[str, Key], dict[str, Any] | None] = {}

    def compare(self, control: list[Change], candidate: list[Change]) -> list[Difference]:
        inserted = {(c.table, c.key): c.after for c in candidate if c.op == "+" and c.after}
        mine = {self._identity(c, None): c for c in control}
        theirs = {self._identity(c, inserted): c for c in candidate}
        found: list[Difference] = []
        missing: dict[str, list[Change]] = {}
        extra: dict[str, list[Change]] = {}
        for identity in sorted(set(mine) | set(theirs), key=repr):
            left, right = mine.get(identity), theirs.get(identity)
            if left is not None and right is not None:
                found += self._values(left, right, inserted)
            elif left is not None and left.op == "+":
                missing.setdefault(left.table, []).append(left)
            elif right is not None and right.op == "+":
                extra.setdefault(right.table, []).append(right)
            elif left is not None:
                found += self._one_sided(left, Kind.MISSING_IN_CANDIDATE, identity[2])
            elif right is not None:
                found += self._one_sided(right, Kind.EXTRA_IN_CANDIDATE, identity[2])
        for name in sorted(set(missing) | set(extra)):
            lefts, rights = missing.get(name, []), extra.get(name, [])
            # an insert on each side that differ in their natural key: one row, wrong values
            for left, right in zip(lefts, rights, strict=False):
                found += self._values(left, right, inserted, everything=True)
            for left in lefts[len(rights):]:
                found.append(Difference(_path(left), Kind.MISSING_IN_CANDIDATE,
                                        _shown(self._natural(name, left.after or {}, None, 3)),
                                        None))
            for right in rights[len(lefts):]:
                found.append(Difference(_path(right), Kind.EXTRA_IN_CANDIDATE, None, _shown(
                    self._natural(name, right.after or {}, inserted, 3))))
        return found

    def _one_sided(self, change: Change, kind: Kind, key: str) -> list[Difference]:
        """An update or delete one side made and the other did not."""
        if change.op == "-":
            shown = key[:VALUE_CHARS]
            return [Difference(_path(change), kind, *((shown, None)
                                                      if kind is Kind.MISSING_IN_CANDIDATE
                                                      else (None, shown)))]
        table = self.tables[change.table]
        found = []
        for column in table.columns:
            if _changed(column, change.before, change.after):
                secret = bool(SECRET_COLUMN.search(column.name))
                value = REDACTED if secret else _shown((change.after or {}).get(column.name))
                found.append(Difference(
                    f"{_path(change)}.{column.name}", kind,
                    *((value, None) if kind is Kind.MISSING_IN_CANDIDATE else (None, value))))
        return found

    def _identity(self, change: Change, inserted: Mapping[tuple[str, Key], Any] | None
                  ) -> tuple[str, str, str]:
        """The change's table, op and row identity (JSON text: a key, or a natural key)."""
        if change.op != "+" or change.after is None:
            table = self.tables[change.table]
            identity = dict(zip([c.name for c in _keys(table)], change.key, strict=True))
        else:
            identity = self._natural(change.table, change.after, inserted, 3)
        return change.table, change.op, json.dumps(identity, default=str, ensure_ascii=False,
                                                   sort_keys=True)

    def _natural(self, name: str, row: Mapping[str, Any],
                 inserted: Mapping[tuple[str, Key], Any] | None, depth: int) -> Any:
        table = self.tables[name]
        return {column: self._value(table.c[column], row.get(column), inserted, depth)
                for column in natural_key(table)}

    def _value(self, column: sa.Column[Any], value: Any,
               inserted: Mapping[tuple[str, Key], Any] | None, depth: int) -> Any:
        """A foreign key as the natural key of the row it points at; other values as is."""
        target = _references(column)
        if target is None or value is None or depth == 0:
            return _text(value)
        row = self._row(target, (value,), inserted)
        return None if row is None else self._natural(target.name, row, inserted, depth - 1)

    def _row(self, table: sa.Table, key: Key,
             inserted: Mapping[tuple[str, Key], Any] | None) -> dict[str, Any] | None:
        if inserted is not None and (table.name, key) in inserted:
            return dict(inserted[(table.name, key)])
        for state in (self.after, self.before):
            if key in state.rows.get(table.name, {}):
                return state.rows[table.name][key]
        if (table.name, key) not in self.fetched:
            found = self.connection.execute(sa.select(*table.c).where(
                _where_keys(table, [key]))).mappings().first()
            self.fetched[(table.name, key)] = None if found is None else dict(found)
        return self.fetched[(table.name, key)]

    def _values(self, control: Change, candidate: Change,
                inserted: Mapping[tuple[str, Key], Any],
                everything: bool = False) -> list[Difference]:
        if control.op == "-":
            return []
        table = self.tables[control.table]
        columns = [c for c in table.columns if not (c.primary_key and _serial(table) is c)]
        if not everything and control.op == "+":
            natural = set(natural_key(table))  # equal: that is how the two rows were matched
            columns = [c for c in columns if c.name not in natural]
        if control.op == "~":
            columns = [c for c in columns
                       if _changed(c, control.before, control.after)
                       or _changed(c, candidate.before, candidate.after)]
        found = []
        for column in columns:
            left = self._value(column, (control.after or {}).get(column.name), None, 3)
            right = self._value(column, (candidate.after or {}).get(column.name), inserted, 3)
            if not _same(column, left, right):
                secret = bool(SECRET_COLUMN.search(column.name))
                found.append(Difference(f"{_path(control)}.{column.name}", Kind.CHANGED,
                                        REDACTED if secret else _shown(left),
                                        REDACTED if secret else _shown(right)))
        return found


def _changed(column: sa.Column[Any], before: Mapping[str, Any] | None,
             after: Mapping[str, Any] | None) -> bool:
    return (before or {}).get(column.name) != (after or {}).get(column.name)


def _same(column: sa.Column[Any], left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    if SECRET_COLUMN.search(column.name) and isinstance(left, str) and isinstance(right, str):
        return len(left) == len(right) and left.count("$") == right.count("$")
    if isinstance(left, datetime) and isinstance(right, datetime):
        return abs(left - right) <= TIME_TOLERANCE
    return bool(left == right)


def _normal(table: sa.Table, row: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A reported row (JSON) with its timestamps as datetimes, as the database returns them."""
    if row is None:
        return None
    result = dict(row)
    for column in table.columns:
        value = result.get(column.name)
        if isinstance(value, str) and _is_time(column):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                continue
            result[column.name] = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return result


def _text(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _path(change: Change) -> str:
    return f"effects.{change.table}[{change.op}]"


def _shown(value: Any) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)[:VALUE_CHARS]
