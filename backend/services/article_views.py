"""Articles as a viewer sees them: lists, the feed and single articles, in few queries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from backend.database import db
from backend.errors import NotFound
from backend.models import Article, ArticleTag, Favorite, Follow, Tag, User


@dataclass
class ArticleView:
    """An article as one viewer sees it."""

    article: Article
    author: User
    tags: list[str]
    favorites_count: int
    favorited: bool
    following: bool


@dataclass(frozen=True)
class ListFilters:
    tag: str = ""
    author: str = ""
    favorited: str = ""


def list_articles(
    viewer: User | None, filters: ListFilters, limit: int, offset: int
) -> tuple[list[ArticleView], int]:
    """Return one page of matching articles, newest first, and the number of matches."""
    conditions = []
    if filters.tag:
        conditions.append(
            Article.id.in_(
                sa.select(ArticleTag.article_id).join(Tag).where(Tag.name == filters.tag)
            )
        )
    if filters.author:
        conditions.append(
            Article.author_id.in_(sa.select(User.id).where(User.username == filters.author))
        )
    if filters.favorited:
        conditions.append(
            Article.id.in_(
                sa.select(Favorite.article_id)
                .join(User, User.id == Favorite.user_id)
                .where(User.username == filters.favorited)
            )
        )
    return _page(viewer, conditions, limit, offset)


def feed(viewer: User, limit: int, offset: int) -> tuple[list[ArticleView], int]:
    """Return one page of articles by the authors ``viewer`` follows, newest first."""
    followed = sa.select(Follow.followed_id).where(Follow.follower_id == viewer.id)
    return _page(viewer, [Article.author_id.in_(followed)], limit, offset)


def _page(
    viewer: User | None, conditions: list[Any], limit: int, offset: int
) -> tuple[list[ArticleView], int]:
    count = db.session.scalar(sa.select(sa.func.count(Article.id)).where(*conditions)) or 0
    if count <= offset:
        return [], count
    rows = db.session.execute(
        annotated(viewer)
        .where(*conditions)
        .order_by(Article.created_at.desc(), Article.id.desc())
        .limit(limit)
        .offset(offset),
        viewer_params(viewer),
    ).all()
    return views(rows), count


def _annotated_select(with_viewer: bool) -> sa.Select[Any]:
    """Select articles with their author, favorites count, and the viewer's relations to them.

    One row per article: ``(Article, User, favorites_count, favorited, following)``; the
    count and the flags are correlated subqueries, so a page costs one query however long it
    is. The viewer's id is the bound parameter ``viewer_id``.
    """
    favorites_count = (
        sa.select(sa.func.count())
        .select_from(Favorite)
        .where(Favorite.article_id == Article.id)
        .scalar_subquery()
    )
    favorited: sa.ColumnElement[bool] = sa.false()
    following: sa.ColumnElement[bool] = sa.false()
    if with_viewer:
        viewer_id: sa.BindParameter[int] = sa.bindparam("viewer_id")
        favorited = sa.exists().where(
            Favorite.article_id == Article.id, Favorite.user_id == viewer_id
        )
        following = sa.exists().where(
            Follow.follower_id == viewer_id, Follow.followed_id == Article.author_id
        )
    return sa.select(
        Article,
        User,
        favorites_count.label("favorites_count"),
        favorited.label("favorited"),
        following.label("following"),
    ).join(User, User.id == Article.author_id)


# Built once: composing these statements costs more than running them.
_ANNOTATED = {flag: _annotated_select(flag) for flag in (False, True)}
_BY_SLUG = {
    flag: stmt.where(Article.slug == sa.bindparam("slug")) for flag, stmt in _ANNOTATED.items()
}
_BY_ID = {
    flag: stmt.where(Article.id == sa.bindparam("article_id")) for flag, stmt in _ANNOTATED.items()
}


def annotated(viewer: User | None) -> sa.Select[Any]:
    """Return the annotated select for ``viewer`` (execute it with :func:`viewer_params`)."""
    return _ANNOTATED[viewer is not None]


def viewer_params(viewer: User | None, **params: Any) -> dict[str, Any]:
    """Return the bound parameters of an annotated select for ``viewer``."""
    return {"viewer_id": viewer.id, **params} if viewer is not None else params


def views(rows: Sequence[Sequence[Any]]) -> list[ArticleView]:
    """Build views from ``annotated`` rows, loading every tag list in one more query."""
    ids = [row[0].id for row in rows]
    if not ids:
        return []
    tags: dict[int, list[str]] = {article_id: [] for article_id in ids}
    for article_id, name in db.session.execute(
        sa.select(ArticleTag.article_id, Tag.name)
        .join(Tag, Tag.id == ArticleTag.tag_id)
        .where(ArticleTag.article_id.in_(ids))
    ):
        tags[article_id].append(name)
    for names in tags.values():
        names.sort()  # legacy lists tags by name, in code-point order (Python's str order)
    return [
        ArticleView(
            article=article,
            author=author,
            tags=tags[article.id],
            favorites_count=int(favorites_count),
            favorited=bool(favorited),
            following=bool(following),
        )
        for article, author, favorites_count, favorited, following in rows
    ]


def view(viewer: User | None, article: Article) -> ArticleView:
    """Return ``article`` as ``viewer`` sees it (two queries)."""
    rows = db.session.execute(
        _BY_ID[viewer is not None], viewer_params(viewer, article_id=article.id)
    ).all()
    return views(rows)[0]


def find_view(viewer: User | None, slug: str) -> ArticleView:
    """Return the article ``slug`` as ``viewer`` sees it, or raise 404 ``article not found``."""
    rows: Sequence[Sequence[Any]] = []
    if "\x00" not in slug:
        rows = db.session.execute(
            _BY_SLUG[viewer is not None], viewer_params(viewer, slug=slug)
        ).all()
    if not rows:
        raise NotFound("article", "not found")
    return views(rows)[0]
