"""Node's ``Buffer.from(text, "base64")`` for text made of base64 characters.

Node reads both alphabets (``+/`` and ``-_``), needs no padding, drops a last group of one
character (it carries no whole byte) and ignores unused low bits.
"""

from __future__ import annotations

import base64


def from_base64(text: str) -> bytes:
    """Return the bytes Node decodes from ``text`` (base64 or base64url characters only)."""
    text = text.replace("-", "+").replace("_", "/")
    if len(text) % 4 == 1:
        text = text[:-1]
    return base64.b64decode(text + "=" * (-len(text) % 4))
