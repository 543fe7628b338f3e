"""GET and HEAD requests only read: run them without a transaction (autocommit).

Legacy (knex, pg) sends each read on its own; SQLAlchemy would wrap a request's reads in
BEGIN ... ROLLBACK, two more round trips per request. A dry-run request keeps its own
transaction (backend.dryrun binds its session first).
"""

from __future__ import annotations

from flask import Flask, g, request

from backend.database import db


def autocommit_reads() -> None:
    """Put the request's connection in autocommit mode when the request cannot write."""
    if request.method not in ("GET", "HEAD") or "dry_run" in g or db.session().in_transaction():
        return
    db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    g.autocommit_read = True


def release(_error: BaseException | None = None) -> None:
    """Give the autocommit connection back when the request ends (its isolation is reset)."""
    if g.pop("autocommit_read", False):
        db.session.remove()


def init_app(app: Flask) -> None:
    """Register the hooks (after backend.dryrun's, which they must see)."""
    app.before_request(autocommit_reads)
    app.teardown_request(release)
