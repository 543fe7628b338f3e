"""``@login_required`` and ``@login_optional``: who is calling, from ``Authorization: Token``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g, request

from backend import tokens
from backend.database import db
from backend.errors import Unauthorized
from backend.models import User
from backend.node_unicode import to_lower_case

P = ParamSpec("P")
R = TypeVar("R")


def authenticate() -> None:
    """Set ``g.user`` and ``g.token`` from the Authorization header (None when absent).

    Raise Unauthorized when a header is present but unusable, as legacy does on every route.
    """
    g.user = None
    g.token = None
    header = request.headers.get("Authorization")
    if header is None:
        return
    token = token_from(header)
    try:
        claims = tokens.verify(token)
    except tokens.InvalidToken as error:
        raise Unauthorized("token", error.reason) from None
    user = db.session.get(User, claims.user_id)
    if user is None:
        raise Unauthorized("token", "is invalid")
    g.user = user
    g.token = token


def token_from(header: str) -> str:
    """Return the token of ``Token <jwt>`` (scheme in any case); raise 401 ``is malformed``."""
    parts = header.split(" ")
    if len(parts) != 2 or to_lower_case(parts[0]) != "token" or not parts[1]:
        raise Unauthorized("token", "is malformed")
    return parts[1]


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse the request with 401 unless it carries a valid token."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        authenticate()
        if g.user is None:
            raise Unauthorized("token", "is missing")
        return view(*args, **kwargs)

    return wrapped


def login_optional(view: Callable[P, R]) -> Callable[P, R]:
    """Serve anonymous requests too; a bad token is still refused with 401."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        authenticate()
        return view(*args, **kwargs)

    return wrapped
