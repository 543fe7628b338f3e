"""The WSGI entry point: ``gunicorn backend.wsgi:app`` (refused on development secrets)."""

from __future__ import annotations

from backend import create_app, settings
from backend.jwt_secret import require_real_secrets

require_real_secrets()
app = create_app(settings=settings.read())
