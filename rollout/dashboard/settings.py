"""Dashboard settings: the reserved prefix, the signing key, the session cookie, thresholds.

The values come from the proxy's settings object (``app.config["SETTINGS"]``, declared in
shadow/settings.py: STRANGLER_DASHBOARD_PREFIX, STRANGLER_SECRET_KEY, STRANGLER_READY_*,
STRANGLER_LOGIN_*, STRANGLER_DASHBOARD_MAX_BODY). Without STRANGLER_SECRET_KEY a random key
is generated once and kept in ``instance/secret_key`` so that every gunicorn worker signs
with the same key.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask


def persistent_secret_key(instance_path: Path) -> str:
    """Return the key kept in ``instance_path/secret_key``, creating it exactly once.

    Workers race to create it: each writes a private temporary file and hard-links it into
    place, which fails for all but the first, so every worker reads the same key.
    """
    path = instance_path / "secret_key"
    try:
        if not path.exists():
            instance_path.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
            try:
                with os.fdopen(fd, "w") as handle:
                    handle.write(secrets.token_urlsafe(48))
                try:
                    os.link(tmp, path)
                except FileExistsError:
                    pass
            finally:
                os.unlink(tmp)
        return path.read_text().strip()
    except OSError as error:
        raise RuntimeError(
            f"STRANGLER_SECRET_KEY is not set and {path} cannot be created or read"
            f" ({error.strerror}): set STRANGLER_SECRET_KEY"
        ) from None


def configure(app: Flask) -> None:
    """Fill in the dashboard's settings, keeping any value the app was created with."""
    settings = app.config["SETTINGS"]
    defaults = {
        "DASHBOARD_PREFIX": settings.dashboard_prefix,
        "READY_PARITY": settings.ready_parity,
        "READY_COMPARISONS": settings.ready_comparisons,
        "READY_LATENCY_RATIO": settings.ready_latency_ratio,
        "LOGIN_ATTEMPTS": settings.login_attempts,
        "LOGIN_WINDOW": settings.login_window,
        # The proxy's own Flask app serves only the dashboard, /health and /metrics; API
        # bodies never go through it (proxy.dispatch streams them).
        "MAX_CONTENT_LENGTH": settings.dashboard_max_body,
    }
    for key, value in defaults.items():
        if app.config.get(key) is None:  # Flask's own MAX_CONTENT_LENGTH default is None
            app.config[key] = value
    app.config.update(
        SESSION_COOKIE_NAME="strangler_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Only ever sent back to the dashboard, never forwarded to the API upstreams.
        SESSION_COOKIE_PATH=app.config["DASHBOARD_PREFIX"],
        # CSRF is checked by the dashboard blueprint only: the API's POSTs are proxied as-is.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.secret_key or persistent_secret_key(
            Path(app.instance_path)
        )
