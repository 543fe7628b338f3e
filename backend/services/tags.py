"""Tags in use."""

from __future__ import annotations

import sqlalchemy as sa

from backend.database import db
from backend.models import ArticleTag, Tag

# Built once: composing the statement costs about as much as running it.
_USES = sa.select(Tag.name, sa.func.count()).join(ArticleTag).group_by(Tag.id, Tag.name)


def popular() -> list[str]:
    """Return every tag on at least one article, most used first, ties in code-point order.

    Sorted in Python: string comparison there is code-point order on every database.
    """
    rows = db.session.connection().execute(_USES).all()  # Core: no ORM entities to load
    return [name for name, _ in sorted(rows, key=lambda row: (-row[1], row[0]))]
