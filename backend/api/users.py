"""Users and authentication: register, login, current user."""

from __future__ import annotations

from flask import Blueprint, Response, g

from backend import serializers, tokens, validation
from backend.auth import login_required
from backend.express_json import json_response
from backend.services import users

bp = Blueprint("users", __name__, url_prefix="/api")


@bp.post("/users")
def register() -> Response:
    user = users.register(validation.wrapper(g.body, "user"))
    return json_response(serializers.user(user, tokens.issue(user.id, user.username)), 201)


@bp.post("/users/login")
def login() -> Response:
    user = users.login(validation.wrapper(g.body, "user"))
    return json_response(serializers.user(user, tokens.issue(user.id, user.username)))


@bp.get("/user")
@login_required
def current() -> Response:
    return json_response(serializers.user(g.user, g.token))


@bp.put("/user")
@login_required
def update() -> Response:
    user = users.update(g.user, validation.wrapper(g.body, "user"))
    return json_response(serializers.user(user, g.token))
