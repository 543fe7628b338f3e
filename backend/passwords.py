"""bcrypt password hashes readable by bcryptjs and the other way round (cost 10)."""

from __future__ import annotations

import bcrypt

ROUNDS = 10


def hash_password(password: str) -> str:
    """Return a ``$2b$10$`` bcrypt hash of ``password``."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(ROUNDS)).decode("ascii")


def check_password(password: str, hashed: str) -> bool:
    """Tell whether ``password`` matches ``hashed`` (``$2a$``, ``$2b$`` or ``$2y$``)."""
    candidate = password.encode("utf-8")
    if len(candidate) > 72:
        candidate = candidate[:72]  # bcryptjs only ever looks at the first 72 bytes
    try:
        return bcrypt.checkpw(candidate, hashed.encode("ascii"))
    except ValueError:
        return False
