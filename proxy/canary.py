"""Sticky canaries: the same user always lands on the same side."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from proxy.headers import client_address
from proxy.schema import Side, Weights

_SUBJECT_CLAIMS = ("sub", "id", "user_id", "userId", "username", "email")


def token_subject(authorization: str) -> str | None:
    """Return the subject of a ``Token <jwt>``/``Bearer <jwt>`` header, unverified.

    The claim only picks a bucket; the serving side still verifies the token.
    """
    _, _, token = authorization.partition(" ")
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError):
        return None
    if not isinstance(claims, dict):
        return None
    for claim in _SUBJECT_CLAIMS:
        if claims.get(claim) not in (None, ""):
            return f"{claim}:{claims[claim]}"
    return None


def identity(environ: Mapping[str, Any]) -> str:
    """Return who is asking: the token subject, else the client address."""
    subject = token_subject(environ.get("HTTP_AUTHORIZATION", ""))
    if subject is not None:
        return "user:" + subject
    return "addr:" + client_address(environ)


def bucket(who: str) -> int:
    """Return the user's stable bucket in 0..99."""
    digest = hashlib.blake2b(who.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % 100


def choose_side(weights: Weights, who: str) -> Side:
    """Return the side that serves ``who`` under ``weights``."""
    return "flask" if bucket(who) < weights.flask else "legacy"
