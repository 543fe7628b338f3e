"""Comments on articles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from backend import signals, validation
from backend.database import db
from backend.errors import Forbidden, NotFound, ValidationFailed
from backend.models import Comment, Follow, User
from backend.services import articles
from backend.validation import MISSING
from dbtypes import utcnow

_COMMENT_ID = re.compile(r"[0-9]+")
MAX_ID = 2**31 - 1


@dataclass
class CommentView:
    """A comment as one viewer sees it."""

    comment: Comment
    author: User
    following: bool


def list_comments(viewer: User | None, slug: str) -> list[CommentView]:
    """Return every comment on ``slug``, newest first, in two queries however many there are."""
    article = articles.find(slug)
    following: sa.ColumnElement[bool] = sa.false()
    if viewer is not None:
        following = sa.exists().where(
            Follow.follower_id == viewer.id, Follow.followed_id == Comment.author_id
        )
    rows = db.session.execute(
        sa.select(Comment, User, following.label("following"))
        .join(User, User.id == Comment.author_id)
        .where(Comment.article_id == article.id)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
    ).all()
    return [CommentView(comment, author, bool(follows)) for comment, author, follows in rows]


def add(user: User, slug: str, fields: dict[str, Any] | None) -> CommentView:
    """Add a comment from the ``comment`` object of a request to ``slug``."""
    article = articles.find(slug)
    if fields is None:
        raise ValidationFailed("comment", validation.NOT_OBJECT)
    message = validation.required_text(fields.get("body", MISSING))
    if message:
        raise ValidationFailed("body", message)
    now = utcnow()
    comment = Comment(
        body=fields["body"], article_id=article.id, author_id=user.id, created_at=now,
        updated_at=now,
    )
    db.session.add(comment)
    db.session.commit()
    signals.publish(signals.comment_added, comment, article=article)
    return CommentView(comment, user, False)


def delete(user: User, slug: str, comment_id: str) -> None:
    """Delete ``user``'s comment ``comment_id`` on ``slug``."""
    article = articles.find(slug)
    comment = None
    if _COMMENT_ID.fullmatch(comment_id) and 1 <= validation.decimal_value(comment_id) <= MAX_ID:
        comment = db.session.get(Comment, int(validation.decimal_value(comment_id)))
    if comment is None or comment.article_id != article.id:
        raise NotFound("comment", "not found")
    if comment.author_id != user.id:
        raise Forbidden("comment", "forbidden")
    db.session.delete(comment)
    db.session.commit()
