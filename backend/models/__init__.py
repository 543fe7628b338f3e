"""The Conduit schema, as typed SQLAlchemy models; migrations/ creates exactly these tables."""

from backend.models.article import Article, ArticleTag, Favorite, Tag
from backend.models.comment import Comment
from backend.models.user import Follow, User

__all__ = ["Article", "ArticleTag", "Comment", "Favorite", "Follow", "Tag", "User"]
