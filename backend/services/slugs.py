"""Slugs from titles: NFKD, no combining marks, lower-case, ``-`` between runs, made unique."""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa

from backend.database import db
from backend.models import Article

_SEPARATORS = re.compile(r"[^a-z0-9]+")
MAX_BASE = 300  # leaves room for a "-N" suffix in the 320-character column


def slugify(title: str) -> str:
    """Return the base slug for ``title`` (``article`` when nothing is left)."""
    decomposed = unicodedata.normalize("NFKD", title)
    stripped = "".join(char for char in decomposed if unicodedata.category(char) != "Mn")
    slug = _SEPARATORS.sub("-", stripped.lower()).strip("-")
    slug = slug[:MAX_BASE].rstrip("-")
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
