"""Articles: list, feed, read, create, update, delete, favorite."""

from __future__ import annotations

import re

from flask import Blueprint, Response, g, request

from backend import querystring, serializers, validation
from backend.auth import login_optional, login_required
from backend.errors import ValidationFailed
from backend.express_json import json_response
from backend.routing import QUERY
from backend.services import article_views, articles

bp = Blueprint("articles", __name__, url_prefix="/api/articles")

_DECIMAL = re.compile(r"[0-9]+")
FILTERS = ("tag", "author", "favorited")
BOUNDS = {"limit": (1, 100, 20), "offset": (0, 2147483647, 0)}


def page_arguments(*, filters: bool) -> tuple[article_views.ListFilters, int, int]:
    """Read the list's query parameters as legacy's listQuery does, reporting every error."""
    query = querystring.parse(request.environ.get(QUERY))
    errors: dict[str, str] = {}
    chosen: dict[str, str] = {}
    for name in FILTERS if filters else ():
        value = query.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            errors[name] = "must be a single value"
        elif "\x00" in value:
            errors[name] = validation.NUL
        else:
            chosen[name] = value
    numbers = {}
    for name, (low, high, default) in BOUNDS.items():
        value = query.get(name)
        if value is None:
            numbers[name] = default
        elif (isinstance(value, str) and _DECIMAL.fullmatch(value)
              and low <= validation.decimal_value(value) <= high):
            numbers[name] = int(validation.decimal_value(value))
        else:
            errors[name] = _range_error(name)
    if errors:
        raise ValidationFailed(errors)
    listed = article_views.ListFilters(**{name: chosen.get(name, "") for name in FILTERS})
    return listed, numbers["limit"], numbers["offset"]


def _range_error(name: str) -> str:
    low, high, _ = BOUNDS[name]
    return f"must be an integer from {low} to {high}"


@bp.get("")
@login_optional
def index() -> Response:
    filters, limit, offset = page_arguments(filters=True)
    views, count = article_views.list_articles(g.user, filters, limit, offset)
    return json_response(serializers.articles(views, count))


@bp.get("/feed")
@login_required
def feed() -> Response:
    _, limit, offset = page_arguments(filters=False)
    views, count = article_views.feed(g.user, limit, offset)
    return json_response(serializers.articles(views, count))


@bp.get("/<param:slug>")
@login_optional
def show(slug: str) -> Response:
    return json_response(serializers.article(article_views.find_view(g.user, slug)))


@bp.post("")
@login_required
def create() -> Response:
    article = articles.create(g.user, validation.wrapper(g.body, "article"))
    return json_response(serializers.article(article_views.view(g.user, article)), 201)


@bp.put("/<param:slug>")
@login_required
def update(slug: str) -> Response:
    article = articles.update(g.user, slug, validation.wrapper(g.body, "article"))
    return json_response(serializers.article(article_views.view(g.user, article)))


@bp.delete("/<param:slug>")
@login_required
def delete(slug: str) -> Response:
    articles.delete(g.user, slug)
    return Response(status=204)


@bp.post("/<param:slug>/favorite")
@login_required
def favorite(slug: str) -> Response:
    article = articles.favorite(g.user, slug)
    return json_response(serializers.article(article_views.view(g.user, article)))


@bp.delete("/<param:slug>/favorite")
@login_required
def unfavorite(slug: str) -> Response:
    article = articles.unfavorite(g.user, slug)
    return json_response(serializers.article(article_views.view(g.user, article)))
