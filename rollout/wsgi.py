"""The gunicorn entry point: ``gunicorn -c deploy/gunicorn.conf.py 'rollout.wsgi:app'``.

It refuses to start on the development JWT secret outside STRANGLER_ENV=development
(backend.jwt_secret): the in-process backend signs tokens with it, the proxy its dry-run markers.
The app is the proxy with its control plane (the dashboard) in front: ``rollout.create_app``.
"""

from __future__ import annotations

from backend.jwt_secret import require_real_secrets
from rollout import create_app

require_real_secrets()
app = create_app()
