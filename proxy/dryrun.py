"""The dry-run marker the proxy adds to a mirrored write (the backend verifies it).

The format is backend/dryrun.py's: ``X-Strangler-Dry-Run`` holding an itsdangerous
TimestampSigner value (salt ``strangler-dry-run``), signed with STRANGLER_DRY_RUN_SECRET or
else the JWT secret, valid for 30 seconds. Clients can never send one: the proxy drops every
incoming ``X-Strangler-*`` header (proxy.headers.upstream_headers). Mirrored reads carry a
marker signed ``read-only``: the backend runs them in a read-only transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from itsdangerous import TimestampSigner

from backend.dryrun import HEADER, READ_ONLY, SALT

ENVIRON_KEY = "HTTP_" + HEADER.upper().replace("-", "_")


def dry_run_signer(config: Mapping[str, Any]) -> TimestampSigner:
    """Return the signer for the backend app whose ``config`` holds the secrets."""
    secret = config.get("STRANGLER_DRY_RUN_SECRET") or config["JWT_SECRET"]
    return TimestampSigner(secret, salt=SALT)


def dry_run_marker(config: Mapping[str, Any]) -> str:
    """Return a fresh marker value for one mirrored write."""
    return dry_run_signer(config).sign("dry-run").decode("ascii")


def read_only_marker(config: Mapping[str, Any]) -> str:
    """Return a fresh marker value for one mirrored read (run in a read-only transaction)."""
    return dry_run_signer(config).sign(READ_ONLY).decode("ascii")
