"""The gunicorn entry point: ``gunicorn -c deploy/gunicorn.conf.py 'proxy.wsgi:app'``."""

from __future__ import annotations

from proxy import create_app

app = create_app()
