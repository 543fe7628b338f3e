"""The dashboard session: a signed cookie, and its record on the server that can revoke it.

The cookie (Flask's itsdangerous-signed session) carries a random token; the database keeps
only the token's hash (DashboardSession). A request is logged in only while that row exists:
logout deletes it, a password or role change deletes every row of the account, so a cookie
copied before either stops working at once.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import Flask, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface

from backend.database import db
from rollout.dashboard.models import DashboardSession, DashboardUser

_KEY = "sid"


def served_over_tls() -> bool:
    """Return whether this request came over HTTPS, directly or through a TLS front proxy."""
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.is_secure or forwarded == "https"


class DashboardSessionInterface(SecureCookieSessionInterface):
    """Flask's itsdangerous-signed cookie session, with the Secure flag set per request.

    Trusting X-Forwarded-Proto here can only add the Secure flag, never remove it: a client
    that lies about it only stops its own cookie from being sent back over plain HTTP.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        if has_request_context() and served_over_tls():
            return True
        return bool(app.config["SESSION_COOKIE_SECURE"])


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_for(user: DashboardUser) -> None:
    """Start a server-side session for ``user`` and put its token in the cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(DashboardSession(id=_digest(token), user_id=user.id))
    db.session.commit()
    session[_KEY] = token


def is_open(user_id: int) -> bool:
    """Return whether the request's cookie names an open session of ``user_id``."""
    token = session.get(_KEY)
    if not isinstance(token, str):
        return False
    record = db.session.get(DashboardSession, _digest(token))
    return record is not None and record.user_id == user_id


def close() -> None:
    """End the request's session on the server (logout)."""
    token = session.get(_KEY)
    if isinstance(token, str):
        db.session.execute(sa.delete(DashboardSession).where(
            DashboardSession.id == _digest(token)))
        db.session.commit()


def revoke_all(user: DashboardUser) -> None:
    """End every session of ``user``, wherever its cookies are (the caller commits)."""
    db.session.execute(sa.delete(DashboardSession).where(DashboardSession.user_id == user.id))
