"""Tags in use."""

from __future__ import annotations

from flask import Blueprint, Response

from backend import serializers
from backend.express_json import json_response
from backend.services import tags

bp = Blueprint("tags", __name__, url_prefix="/api/tags")


@bp.get("")
def index() -> Response:
    return json_response(serializers.tags(tags.popular()))
