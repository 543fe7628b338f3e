"""Slugs from titles: NFKD, no combining marks, lower-case, ``-`` between runs, made unique."""

from __future__ import annotations

import sqlalchemy as sa

from backend.database import db
from backend.models import Article
from backend.node_unicode import slug_text

MAX_BASE = 300  # leaves room for a "-N" suffix in the 320-character column


def slugify(title: str) -> str:
    """Return the base slug for ``title`` (``article`` when nothing is left)."""
    slug = slug_text(title).strip("-")[:MAX_BASE].rstrip("-")
    return slug or "article"


def unique_slug(title: str, article_id: int | None = None) -> str:
    """Return the slug for ``title`` with the smallest free ``-N`` suffix (N >= 2) if needed.

    The article ``article_id`` (being renamed) does not count as taking its own slug.
    """
    base = slugify(title)
    query = sa.select(Article.slug).where(
        sa.or_(Article.slug == base, Article.slug.startswith(base + "-", autoescape=True))
    )
    if article_id is not None:
        query = query.where(Article.id != article_id)
    taken = set(db.session.scalars(query))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
