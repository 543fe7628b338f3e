"""Dashboard settings: the reserved prefix, the signing key, the session cookie, thresholds.

Environment variables (all optional):
- ``STRANGLER_DASHBOARD_PREFIX``: where the dashboard lives (default ``/_strangler``).
- ``STRANGLER_SECRET_KEY``: signs the session cookie and CSRF tokens. Set it in production,
  the same value for every proxy process. Without it a random key is generated once and kept
  in ``instance/secret_key`` so that every gunicorn worker signs with the same key.
- ``STRANGLER_READY_PARITY`` (default 99.9, percent) and ``STRANGLER_READY_COMPARISONS``
  (default 100): the ready-to-flip verdict.
- ``STRANGLER_LOGIN_ATTEMPTS`` (default 5) failed logins per username and client address
  within ``STRANGLER_LOGIN_WINDOW`` seconds (default 900) before logins are refused.
- ``STRANGLER_DASHBOARD_MAX_BODY`` (default 64 KiB): the largest request body the proxy's
  own pages accept (413 beyond it, before anything is read or spooled to disk).
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

from flask import Flask

DEFAULT_PREFIX = "/_strangler"


def dashboard_prefix() -> str:
    """Return the reserved prefix, normalised to ``/name`` without a trailing slash."""
    prefix = "/" + os.environ.get("STRANGLER_DASHBOARD_PREFIX", DEFAULT_PREFIX).strip("/")
    if prefix == "/":
        raise ValueError("STRANGLER_DASHBOARD_PREFIX must not be empty or '/'")
    return prefix


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
    env = os.environ
    defaults = {
        "DASHBOARD_PREFIX": dashboard_prefix(),
        "READY_PARITY": float(env.get("STRANGLER_READY_PARITY", "99.9")),
        "READY_COMPARISONS": int(env.get("STRANGLER_READY_COMPARISONS", "100")),
        "LOGIN_ATTEMPTS": int(env.get("STRANGLER_LOGIN_ATTEMPTS", "5")),
        "LOGIN_WINDOW": int(env.get("STRANGLER_LOGIN_WINDOW", "900")),
        # The proxy's own Flask app serves only the dashboard, /health and /metrics; API
        # bodies never go through it (proxy.dispatch streams them).
        "MAX_CONTENT_LENGTH": int(env.get("STRANGLER_DASHBOARD_MAX_BODY", 64 * 1024)),
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
        app.config["SECRET_KEY"] = env.get("STRANGLER_SECRET_KEY") or persistent_secret_key(
            Path(app.instance_path)
        )
