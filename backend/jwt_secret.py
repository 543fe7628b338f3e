"""Refuse to serve on the well-known development secret outside development mode.

``JWT_SECRET`` signs every token (and, unless STRANGLER_DRY_RUN_SECRET is set, the proxy's
dry-run markers). Its development default is in this repository for anyone to read, so the
serving entry points (backend.wsgi, rollout.wsgi) refuse to start on it, or without a secret,
unless ``STRANGLER_ENV=development`` says this is a development machine (``make run`` sets
it when JWT_SECRET is unset, and says so). Tests and the CLI create apps directly and are
not refused.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

DEV_JWT_SECRET = "dev-only-secret"
DEVELOPMENT = "development"


class InsecureSecrets(RuntimeError):
    """A secret is missing or is the published development one."""


def require_real_secrets(env: Mapping[str, str] = os.environ) -> None:
    """Raise InsecureSecrets unless the secrets are real or development mode is explicit."""
    if env.get("STRANGLER_ENV") == DEVELOPMENT:
        return
    for name in ("JWT_SECRET", "STRANGLER_DRY_RUN_SECRET"):
        value = env.get(name)
        if name == "STRANGLER_DRY_RUN_SECRET" and value is None:
            continue  # optional: the JWT secret signs dry-run markers then
        if not value or value == DEV_JWT_SECRET:
            raise InsecureSecrets(
                f"{name} is {'the published development secret' if value else 'not set'}: "
                f"set {name} to a secret of your own (the same for legacy, backend and "
                f"proxy), or STRANGLER_ENV=development on a development machine"
            )
