"""The WSGI entry point: ``gunicorn backend.wsgi:app``."""

from __future__ import annotations

from backend import create_app

app = create_app()
