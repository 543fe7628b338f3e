"""Registration, login and account updates."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend import signals, validation
from backend.database import db
from backend.errors import Unauthorized, ValidationFailed
from backend.models import User
from backend.node_unicode import to_lower_case
from backend.passwords import check_password, hash_password
from backend.validation import MISSING
from dbtypes import utcnow

ACCOUNT_FIELDS = ("email", "username", "password", "bio", "image")


def register(fields: dict[str, Any] | None) -> User:
    """Create an account from the ``user`` object of a registration request."""
    if fields is None:
        raise ValidationFailed("user", validation.NOT_OBJECT)
    fields = _lower_email(fields)
    username = fields.get("username", MISSING)
    email = fields.get("email", MISSING)
    password = fields.get("password", MISSING)
    errors = _failing(
        username=validation.username(username),
        email=validation.email(email),
        password=validation.password(password),
    )
    if errors:
        raise ValidationFailed(errors)
    unique = {"username": username, "email": email}  # reported in this order
    _check_unique(None, unique)
    now = utcnow()  # one instant for both columns, as legacy writes them
    user = User(
        username=username,
        email=email,
        password_hash=hash_password(password),
        bio=None,
        image=None,
        created_at=now,
        updated_at=now,
    )
    db.session.add(user)
    _commit_account(user, unique)
    signals.publish(signals.user_registered, user)
    return user


def login(fields: dict[str, Any] | None) -> User:
    """Return the account matching the ``user`` object's email and password."""
    if fields is None:
        raise ValidationFailed("user", validation.NOT_OBJECT)
    email = fields.get("email", MISSING)
    password = fields.get("password", MISSING)
    errors = _failing(email=_login_field(email), password=_login_field(password))
    if errors:
        raise ValidationFailed(errors)
    user = None
    if "\x00" not in email:
        # Legacy lower-cases the email in the route and again in its store query.
        lowered = to_lower_case(to_lower_case(email))
        user = db.session.scalar(sa.select(User).where(User.email == lowered))
    if user is None or not check_password(password, user.password_hash):
        raise Unauthorized("email or password", "is invalid")
    return user


def update(user: User, fields: dict[str, Any] | None) -> User:
    """Apply the accepted fields of a ``user`` object to ``user``."""
    if fields is None:
        raise ValidationFailed("user", validation.NOT_OBJECT)
    fields = _lower_email(fields)
    present = {name: fields[name] for name in ACCOUNT_FIELDS if name in fields}
    if not present:
        raise ValidationFailed(
            "user", "must contain at least one of: email, username, password, bio, image"
        )
    checks = {
        "email": validation.email,
        "username": validation.username,
        "password": validation.password,
        "bio": validation.optional_text,
        "image": lambda value: validation.optional_text(value, max_length=2048),
    }
    errors = _failing(**{name: checks[name](value) for name, value in present.items()})
    if errors:
        raise ValidationFailed(errors)
    email = present.get("email")
    unique = {"email": email, "username": present.get("username")}  # reported in this order
    _check_unique(user.id, unique)
    if "username" in present:
        user.username = present["username"]
    if email is not None:
        user.email = email
    if "password" in present:
        user.password_hash = hash_password(present["password"])
    if "bio" in present:
        user.bio = present["bio"]
    if "image" in present:
        user.image = present["image"]
    user.updated_at = utcnow()
    _commit_account(user, unique)
    return user


def _login_field(value: Any) -> str | None:
    if validation.is_blank(value):
        return validation.BLANK
    if not isinstance(value, str):
        return validation.NOT_STRING
    return None


def _lower_email(fields: dict[str, Any]) -> dict[str, Any]:
    """Lower-case a string ``email`` (as JavaScript does) before any rule looks at it."""
    email = fields.get("email")
    return {**fields, "email": to_lower_case(email)} if isinstance(email, str) else fields


def _failing(**messages: str | None) -> dict[str, str]:
    """Keep the failing fields, in the order given (the order legacy checks them in)."""
    return {name: message for name, message in messages.items() if message}


def _check_unique(user_id: int | None, values: dict[str, str | None]) -> None:
    """Raise 422 ``has already been taken`` for each of ``values`` another user has.

    ``values`` maps ``username``/``email`` to the new value (None: unchanged), in the order
    legacy reports them: username first on registration, email first on updates.
    """
    errors = {}
    for column, value in values.items():
        if value is not None and _taken(getattr(User, column) == value, user_id):
            errors[column] = validation.TAKEN
    if errors:
        raise ValidationFailed(errors)


def _taken(condition: sa.ColumnElement[bool], user_id: int | None) -> bool:
    query = sa.select(User.id).where(condition)
    if user_id is not None:
        query = query.where(User.id != user_id)
    return db.session.scalar(query.limit(1)) is not None


def _commit_account(user: User, unique: dict[str, str | None]) -> None:
    """Commit; a concurrent registration that wins the unique index gives the same 422."""
    user_id = user.id
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        _check_unique(user_id, unique)
        raise
