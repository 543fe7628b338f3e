"""Profiles and follows."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from backend import signals
from backend.database import db
from backend.errors import NotFound, ValidationFailed
from backend.models import Follow, User


def find(username: str) -> User:
    """Return the user named exactly ``username`` or raise 404 ``profile not found``."""
    user = None
    if "\x00" not in username:
        user = db.session.scalar(sa.select(User).where(User.username == username))
    if user is None:
        raise NotFound("profile", "not found")
    return user


def is_following(viewer: User | None, user: User) -> bool:
    """Tell whether ``viewer`` follows ``user`` (never for anonymous or oneself)."""
    return user.id in followed_among(viewer, [user.id])


def followed_among(viewer: User | None, user_ids: Iterable[int]) -> set[int]:
    """Return which of ``user_ids`` ``viewer`` follows, in one query."""
    ids = set(user_ids)
    if viewer is None or not ids:
        return set()
    rows = db.session.scalars(
        sa.select(Follow.followed_id).where(
            Follow.follower_id == viewer.id, Follow.followed_id.in_(ids)
        )
    )
    return set(rows)


def follow(viewer: User, username: str) -> User:
    """Make ``viewer`` follow ``username`` (idempotent); return the followed user."""
    user = find(username)
    if user.id == viewer.id:
        raise ValidationFailed("profile", "cannot follow yourself")
    if not is_following(viewer, user):
        db.session.add(Follow(follower_id=viewer.id, followed_id=user.id))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # a concurrent identical follow won: same outcome
        else:
            signals.publish(signals.user_followed, viewer, followed=user)
    return user


def unfollow(viewer: User, username: str) -> User:
    """Make ``viewer`` stop following ``username`` (idempotent); return that user."""
    user = find(username)
    db.session.execute(
        sa.delete(Follow).where(Follow.follower_id == viewer.id, Follow.followed_id == user.id)
    )
    db.session.commit()
    return user
