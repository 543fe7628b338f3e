"""Profiles: read, follow, unfollow."""

from __future__ import annotations

from flask import Blueprint, Response, g

from backend import serializers
from backend.auth import login_optional, login_required
from backend.express_json import json_response
from backend.services import profiles

bp = Blueprint("profiles", __name__, url_prefix="/api/profiles")


@bp.get("/<param:username>")
@login_optional
def show(username: str) -> Response:
    user = profiles.find(username)
    return json_response(serializers.profile(user, profiles.is_following(g.user, user)))


@bp.post("/<param:username>/follow")
@login_required
def follow(username: str) -> Response:
    user = profiles.follow(g.user, username)
    return json_response(serializers.profile(user, True))


@bp.delete("/<param:username>/follow")
@login_required
def unfollow(username: str) -> Response:
    user = profiles.unfollow(g.user, username)
    return json_response(serializers.profile(user, False))
