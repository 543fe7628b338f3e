"""Articles: finding, writing, deleting and favorites (the reading side is article_views)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from backend import signals, validation
from backend.database import db
from backend.errors import Forbidden, NotFound, ValidationFailed
from backend.models import Article, ArticleTag, Favorite, Tag, User
from backend.services.slugs import unique_slug
from backend.validation import MISSING
from dbtypes import utcnow

ARTICLE_FIELDS = ("title", "description", "body")
TAG_MAX = 64
SLUG_ATTEMPTS = 10  # as legacy: concurrent writers of one title retry for a free slug


def find(slug: str) -> Article:
    """Return the article with ``slug`` or raise 404 ``article not found``."""
    article = None
    if "\x00" not in slug:
        article = db.session.scalar(sa.select(Article).where(Article.slug == slug))
    if article is None:
        raise NotFound("article", "not found")
    return article


def create(author: User, fields: dict[str, Any] | None) -> Article:
    """Publish a new article from the ``article`` object of a request."""
    if fields is None:
        raise ValidationFailed("article", validation.NOT_OBJECT)
    errors = _field_errors({name: fields.get(name, MISSING) for name in ARTICLE_FIELDS})
    tag_list = fields.get("tagList")
    tag_names, tag_error = clean_tags(tag_list)
    if tag_error:
        errors["tagList"] = tag_error
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    for attempt in range(SLUG_ATTEMPTS):
        article = Article(
            slug=unique_slug(fields["title"]),
            title=fields["title"],
            description=fields["description"],
            body=fields["body"],
            author_id=author.id,
            created_at=now,
            updated_at=now,
        )
        db.session.add(article)
        try:
            db.session.flush()
            _attach_tags(article, tag_names)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # a concurrent writer took the slug or a tag: try again
            if attempt == SLUG_ATTEMPTS - 1:
                raise
            continue
        break
    signals.publish(signals.article_published, article)
    return article


def update(user: User, slug: str, fields: dict[str, Any] | None) -> Article:
    """Change the title, description or body of ``user``'s article ``slug``."""
    article = find(slug)
    if article.author_id != user.id:
        raise Forbidden("article", "forbidden")
    if fields is None:
        raise ValidationFailed("article", validation.NOT_OBJECT)
    present = {name: fields[name] for name in ARTICLE_FIELDS if name in fields}
    if not present:
        raise ValidationFailed(
            "article", "must contain at least one of: title, description, body"
        )
    errors = _field_errors(present)
    if errors:
        raise ValidationFailed(errors)
    if "title" in present and present["title"] != article.title:
        article.slug = unique_slug(present["title"], article.id)
    for name, value in present.items():
        setattr(article, name, value)
    article.updated_at = utcnow()
    db.session.commit()
    return article


def delete(user: User, slug: str) -> None:
    """Delete ``user``'s article ``slug`` with its comments, favorites and tag links."""
    article = find(slug)
    if article.author_id != user.id:
        raise Forbidden("article", "forbidden")
    db.session.execute(sa.delete(Article).where(Article.id == article.id))
    db.session.commit()


def favorite(user: User, slug: str) -> Article:
    """Add ``slug`` to ``user``'s favorites (idempotent)."""
    article = find(slug)
    exists = db.session.get(Favorite, (user.id, article.id))
    if exists is None:
        db.session.add(Favorite(user_id=user.id, article_id=article.id))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # a concurrent identical favorite won: same outcome
    return article


def unfavorite(user: User, slug: str) -> Article:
    """Remove ``slug`` from ``user``'s favorites (idempotent)."""
    article = find(slug)
    db.session.execute(
        sa.delete(Favorite).where(Favorite.user_id == user.id, Favorite.article_id == article.id)
    )
    db.session.commit()
    return article


def clean_tags(value: Any) -> tuple[list[str], str | None]:
    """Return the trimmed, de-duplicated, non-blank tags of ``value``, or the error message."""
    if value is None:
        return [], None
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        return [], "must be an array of strings"
    names: list[str] = []
    for raw in value:
        name = validation.js_trim(raw)
        if not name:
            continue
        if len(name) > TAG_MAX or "\x00" in name:
            return [], f"must contain tags of at most {TAG_MAX} characters"
        if name not in names:
            names.append(name)
    return names, None


def _field_errors(values: dict[str, Any]) -> dict[str, str]:
    limits = {"title": 255, "description": 1024, "body": None}
    errors = {}
    for name, value in values.items():
        message = validation.required_text(value, max_length=limits[name])
        if message:
            errors[name] = message
    return errors


def _attach_tags(article: Article, names: list[str]) -> None:
    """Link ``names`` to ``article``, inserting the tags as legacy does.

    Legacy inserts every name with ``ON CONFLICT (name) DO NOTHING``: on PostgreSQL each name
    takes a value from the tags sequence, new or not, so the ids of later tags are the same
    on both sides only if this side inserts the same way.
    """
    if not names:
        return
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Tag)
    db.session.execute(insert.values([{"name": name} for name in names])
                       .on_conflict_do_nothing(index_elements=["name"]))
    ids = dict(db.session.execute(sa.select(Tag.name, Tag.id).where(Tag.name.in_(names))).all())
    db.session.execute(sa.insert(ArticleTag), [
        {"article_id": article.id, "tag_id": ids[name], "position": position}
        for position, name in enumerate(names)
    ])
