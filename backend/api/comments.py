"""Comments on an article: list, add, delete."""

from __future__ import annotations

from flask import Blueprint, Response, g

from backend import serializers, validation
from backend.auth import login_optional, login_required
from backend.express_json import json_response
from backend.services import comments

bp = Blueprint("comments", __name__, url_prefix="/api/articles/<param:slug>/comments")


@bp.get("")
@login_optional
def index(slug: str) -> Response:
    return json_response(serializers.comments(comments.list_comments(g.user, slug)))


@bp.post("")
@login_required
def add(slug: str) -> Response:
    view = comments.add(g.user, slug, validation.wrapper(g.body, "comment"))
    return json_response(serializers.comment(view))


@bp.delete("/<param:comment_id>")
@login_required
def delete(slug: str, comment_id: str) -> Response:
    comments.delete(g.user, slug, comment_id)
    return Response(status=204)
