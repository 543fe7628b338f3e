"""The HTTP face of the API: one blueprint per area."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register every blueprint; the feed before ``/articles/<slug>``, as legacy's router."""
    from backend.api import articles, comments, profiles, tags, users

    for module in (users, profiles, articles, comments, tags):
        app.register_blueprint(module.bp)
