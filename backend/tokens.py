"""JWTs interchangeable with legacy's (jsonwebtoken): HS256, ``{"username","iat","exp","sub"}``.

Tokens are written with PyJWT (its output is byte for byte what ``jwt.sign`` writes) but
checked here, step by step as jws 4 and jsonwebtoken 9 do, because their acceptance differs
from PyJWT's: the three parts must match jws's pattern (no ``=`` padding), the signature must
be the exact base64url string of the HMAC (no padding, no stray low bits), the header is JSON
read from Latin-1 and needs only ``alg == "HS256"`` (``kid``, ``crit``, ``b64`` are not looked
at), the payload is UTF-8 with invalid bytes replaced and must parse with ``JSON.parse`` (no
BOM, no NaN or Infinity), and ``nbf``/``exp``, when present, must be numbers (``null`` is not).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from typing import Any, TypeGuard

import jwt
from flask import current_app

from backend.express_json import loads_strict
from backend.node_buffer import from_base64
from backend.validation import decimal_value

_DECIMAL_ID = re.compile(r"[0-9]+")
MAX_ID = 2**31 - 1
_JWS = re.compile(r"[a-zA-Z0-9\-_]+?\.[a-zA-Z0-9\-_]+?\.([a-zA-Z0-9\-_]+)?")
_NOT_JSON = object()


class InvalidToken(Exception):
    """The token cannot be trusted; ``reason`` is legacy's message for it."""

    def __init__(self, reason: str = "is invalid") -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Claims:
    user_id: int
    username: str


def issue(user_id: int, username: str) -> str:
    """Return a fresh token, as legacy's ``jwt.sign({username}, secret, {expiresIn, subject})``."""
    now = int(time.time())
    payload = {
        "username": username,
        "iat": now,
        "exp": now + current_app.config["JWT_TTL_SECONDS"],
        "sub": str(user_id),
    }
    return jwt.encode(payload, current_app.config["JWT_SECRET"], algorithm="HS256")


def verify(token: str) -> Claims:
    """Check ``token`` as legacy does (jsonwebtoken, then its own claims); raise InvalidToken."""
    if not _JWS.fullmatch(token):
        raise InvalidToken()
    encoded_header, encoded_payload, signature = token.split(".")
    header = _json(from_base64(encoded_header).decode("latin-1"))
    payload = _json(from_base64(encoded_payload).decode("utf-8", "replace"))
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not signature:
        raise InvalidToken()
    if not hmac.compare_digest(signature, _signature(f"{encoded_header}.{encoded_payload}")):
        raise InvalidToken()
    if not isinstance(payload, dict):
        raise InvalidToken()  # a string or array payload has no numeric exp
    now = int(time.time())
    if "nbf" in payload and (not _is_number(payload["nbf"]) or payload["nbf"] > now):
        raise InvalidToken()
    exp = payload.get("exp")
    if not _is_number(exp):
        raise InvalidToken()
    if now >= exp:
        raise InvalidToken("has expired")
    sub = payload.get("sub")
    if not isinstance(sub, str) or not _DECIMAL_ID.fullmatch(sub):
        raise InvalidToken()
    user_id = decimal_value(sub)
    if user_id > MAX_ID:
        raise InvalidToken()
    username = payload.get("username")
    return Claims(user_id=int(user_id), username=username if isinstance(username, str) else "")


def _signature(signing_input: str) -> str:
    """Return jwa's HS256 signature of ``signing_input``: base64url without padding."""
    key = current_app.config["JWT_SECRET"].encode("utf-8")
    digest = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def _json(text: str) -> Any:
    """Return ``JSON.parse(text)``, or a marker when it throws."""
    try:
        return loads_strict(text)
    except ValueError:
        return _NOT_JSON


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
