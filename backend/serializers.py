"""Turn domain objects into legacy's JSON shapes, keys in legacy's order."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from backend.models import Comment, User

if TYPE_CHECKING:
    from backend.services.article_views import ArticleView
    from backend.services.comments import CommentView


def timestamp(value: datetime) -> str:
    """Format an instant as JavaScript's ``toISOString()``: ``2016-02-18T03:22:56.637Z``."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def user(account: User, token: str) -> dict[str, Any]:
    return {
        "user": {
            "email": account.email,
            "token": token,
            "username": account.username,
            "bio": account.bio,
            "image": account.image,
        }
    }


def profile_fields(account: User, following: bool) -> dict[str, Any]:
    return {
        "username": account.username,
        "bio": account.bio,
        "image": account.image,
        "following": following,
    }


def profile(account: User, following: bool) -> dict[str, Any]:
    return {"profile": profile_fields(account, following)}


def article_fields(view: ArticleView, *, with_body: bool = True) -> dict[str, Any]:
    article = view.article
    fields: dict[str, Any] = {
        "slug": article.slug,
        "title": article.title,
        "description": article.description,
    }
    if with_body:
        fields["body"] = article.body
    fields.update(
        tagList=view.tags,
        createdAt=timestamp(article.created_at),
        updatedAt=timestamp(article.updated_at),
        favorited=view.favorited,
        favoritesCount=view.favorites_count,
        author=profile_fields(view.author, view.following),
    )
    return fields


def article(view: ArticleView) -> dict[str, Any]:
    return {"article": article_fields(view)}


def articles(views: list[ArticleView], count: int) -> dict[str, Any]:
    return {
        "articles": [article_fields(view, with_body=False) for view in views],
        "articlesCount": count,
    }


def comment_fields(view: CommentView) -> dict[str, Any]:
    item: Comment = view.comment
    return {
        "id": item.id,
        "createdAt": timestamp(item.created_at),
        "updatedAt": timestamp(item.updated_at),
        "body": item.body,
        "author": profile_fields(view.author, view.following),
    }


def comment(view: CommentView) -> dict[str, Any]:
    return {"comment": comment_fields(view)}


def comments(views: list[CommentView]) -> dict[str, Any]:
    return {"comments": [comment_fields(view) for view in views]}


def tags(names: list[str]) -> dict[str, Any]:
    return {"tags": names}
