"""A proxy whose Flask backend misbehaves on request: ``X-Test-Alter: <how>`` picks how.

Served by gunicorn as ``tests.integration.shadow_proxy.altered:app`` so that shadow tests can
seed differences in the candidate; legacy ignores the header, so the control is unchanged.
``write-on-read`` and ``escape`` misbehave inside the backend, after its dry-run seam began:
every user's bio is rewritten through the request's session (and committed), or on a
connection of its own. ``lose-writes`` makes the request's commits mere flushes (the writes
are rolled back with the session, as a forgotten commit would be); ``extra-row`` adds a tag
row nobody asked for to the request's commit.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import sqlalchemy as sa
from flask import Flask, request

from backend import create_app as create_backend
from backend.database import db
from backend.models import Tag, User
from rollout import create_app

IN_BACKEND = ("write-on-read", "escape", "lose-writes", "extra-row")


def _alter(how: str, status: str, headers: list, body: bytes) -> tuple[str, list, bytes]:
    if how == "reason":  # Werkzeug's spelling of the same status: "404 NOT FOUND"
        return status.upper(), headers, body
    data: Any = json.loads(body) if body else None
    if how == "status":
        status = "418 I'm a teapot"
    elif how == "missing":
        del data["article"]["description"]
    elif how == "extra":
        data["article"]["extra"] = 1
    elif how == "null":
        data["article"]["description"] = None
    elif how == "order":
        data["tags"].reverse()
    elif how == "count":
        data["articlesCount"] += 1
    elif how == "content-type":
        headers = [(n, "text/plain; charset=utf-8" if n.lower() == "content-type" else v)
                   for n, v in headers]
    elif how == "message":
        data["errors"] = {"body": ["is broken"]}
    elif how == "nonce":
        data["nonce"] = uuid.uuid4().hex
    elif how == "garbage":
        return status, headers, b"\x00\xffnot json at all"
    payload = json.dumps(data).encode()
    headers = [(n, str(len(payload)) if n.lower() == "content-length" else v)
               for n, v in headers]
    return status, headers, payload


class AlteredBackend:
    """The backend app, but answering as ``X-Test-Alter`` says (hang, error or alter)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        how = environ.get("HTTP_X_TEST_ALTER")
        if not how or how in IN_BACKEND:
            return self.app(environ, start_response)
        if how == "hang":
            time.sleep(3)
        if how == "error":
            raise RuntimeError("the candidate broke")
        head: list[Any] = []
        chunks = self.app(environ, lambda status, headers, exc_info=None: head.extend(
            [status, headers]))
        try:
            body = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        status, headers, body = _alter(how, head[0], head[1], body)
        start_response(status, headers)
        return [body]


def _misbehave() -> None:
    how = request.headers.get("X-Test-Alter")
    if how == "write-on-read":
        db.session.execute(sa.update(User).values(bio="rewritten by a read"))
        db.session.commit()
    elif how == "escape":
        with db.engine.begin() as connection:
            connection.execute(sa.update(User).values(bio="escaped"))
    elif how == "lose-writes":
        session = db.session()
        session.commit = session.flush  # type: ignore[method-assign]
    elif how == "extra-row":
        db.session.add(Tag(name=f"extra-{uuid.uuid4().hex[:8]}"))


backend = create_backend()
backend.before_request(_misbehave)  # after the dry-run seam's own hook
app = create_app({"BACKEND_APP": AlteredBackend(backend)})
