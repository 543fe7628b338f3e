"""JWTs interchangeable with legacy's (jsonwebtoken): HS256, ``{"username","iat","exp","sub"}``."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import jwt
from flask import current_app

_DECIMAL_ID = re.compile(r"[0-9]+")
MAX_ID = 2**31 - 1
_NO_CLAIM_CHECKS = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}


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
    """Check ``token``'s signature and claims in jsonwebtoken's order; raise InvalidToken."""
    try:
        payload = jwt.decode(
            token, current_app.config["JWT_SECRET"], algorithms=["HS256"], options=_NO_CLAIM_CHECKS
        )
    except jwt.PyJWTError:
        raise InvalidToken() from None
    if not isinstance(payload, dict):
        raise InvalidToken()
    now = int(time.time())
    nbf = payload.get("nbf")
    if nbf is not None and (not _is_number(nbf) or nbf > now):
        raise InvalidToken()
    exp = payload.get("exp")
    if not _is_number(exp):
        raise InvalidToken()
    if now >= exp:
        raise InvalidToken("has expired")
    sub = payload.get("sub")
    if not isinstance(sub, str) or not _DECIMAL_ID.fullmatch(sub) or int(sub) > MAX_ID:
        raise InvalidToken()
    return Claims(user_id=int(sub), username=str(payload.get("username", "")))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
