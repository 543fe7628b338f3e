"""The dashboard unit tests' password, route table and login-form token."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

PASSWORD = "correct horse battery"
ROUTES = """\
# Route table of the dashboard tests: comments must survive a flip.
legacy:
  url: http://127.0.0.1:9   # never called by these tests
routes:
  # Tags are the first thing we move.
  - route: GET /api/tags
    serve: legacy
    shadow: flask           # compared, not served
  - route: GET /api/articles/:slug
    serve: legacy
"""
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str = "/_strangler/login") -> str:
    """Return the CSRF token from the form on ``url``."""
    match = _TOKEN.search(client.get(url).get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)
