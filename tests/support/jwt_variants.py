"""Hand-built JWTs: valid ones and every variant on which JWT libraries tend to disagree.

A token is built from raw header and payload bytes, so the variants can carry what a JWT
library would refuse to write (a BOM, invalid UTF-8, ``NaN``, padding, odd signatures).
``variants(secret, user_id, now)`` names each one; the comparative suite and the fuzzer send
them to legacy and the backend, and the unit tests ask legacy's jsonwebtoken directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

STANDARD_HEADER = b'{"alg":"HS256","typ":"JWT"}'


def b64url(data: bytes) -> str:
    """Return unpadded base64url, as jws writes each part."""
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def signature(signing_input: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return b64url(digest)


def token(header: bytes, payload: bytes, secret: str) -> str:
    """Return the compact token of raw ``header`` and ``payload`` bytes, signed with HS256."""
    signing_input = f"{b64url(header)}.{b64url(payload)}"
    return f"{signing_input}.{signature(signing_input, secret)}"


def claims(user_id: int, now: int, **changes: Any) -> bytes:
    """Return legacy's payload ``{username, iat, exp, sub}`` as JSON, with ``changes`` applied."""
    payload: dict[str, Any] = {"username": "fuzz", "iat": now, "exp": now + 3600,
                               "sub": str(user_id)}
    payload.update(changes)
    return json.dumps({k: v for k, v in payload.items() if v is not _ABSENT},
                      separators=(",", ":")).encode()


_ABSENT = object()
ABSENT = _ABSENT
"""A claim value meaning: leave the claim out."""


def _raw_claim(user_id: int, now: int, name: str, literal: str) -> bytes:
    """Return the payload with claim ``name`` written as the raw JSON ``literal``."""
    body = claims(user_id, now, **{name: "__raw__"}).decode()
    return body.replace('"__raw__"', literal).encode()


def _resign(parts: tuple[str, str], secret: str) -> str:
    signing_input = ".".join(parts)
    return f"{signing_input}.{signature(signing_input, secret)}"


def _padded_payload(user_id: int, now: int, secret: str) -> str:
    """Return a token whose payload part carries ``=`` padding (its length is not 4n)."""
    name = "fuzz"
    while len(b64url(claims(user_id, now, username=name))) % 4 == 0:
        name += "z"
    body = b64url(claims(user_id, now, username=name))
    return _resign((b64url(STANDARD_HEADER), body + "=" * (-len(body) % 4)), secret)


def variants(secret: str, user_id: int, now: int) -> dict[str, str]:
    """Return named tokens for user ``user_id`` at clock ``now`` (seconds), signed with ``secret``.

    Each variant is signed over its own signing input, so only the rule it probes decides.
    """
    good_payload = claims(user_id, now)
    good = token(STANDARD_HEADER, good_payload, secret)
    head, body, sig = good.split(".")
    low_bits = sig[:-1] + ("B" if sig[-1] == "A" else "A")  # same bytes to a lenient decoder
    raw = {name: _raw_claim(user_id, now, name, literal) for name, literal in [
        ("exp", "NaN"), ("nbf", "NaN"), ("iat", "NaN")]}
    return {
        "issued": good,
        "padded signature": good + "=",
        "padded signature twice": good + "==",
        "signature low bits changed": f"{head}.{body}.{low_bits}",
        "signature plus one char": good + "A",
        "no signature": f"{head}.{body}.",
        "padded payload": _padded_payload(user_id, now, secret),
        "padded header": _resign((b64url(STANDARD_HEADER) + "=", body), secret),
        "standard base64 alphabet": _resign(
            (head, base64.b64encode(claims(user_id, now, username="??>>")).decode().rstrip("=")),
            secret),
        "four parts": good + ".x",
        "nbf null": token(STANDARD_HEADER, claims(user_id, now, nbf=None), secret),
        "nbf past": token(STANDARD_HEADER, claims(user_id, now, nbf=now - 10), secret),
        "nbf future": token(STANDARD_HEADER, claims(user_id, now, nbf=now + 3600), secret),
        "nbf string": token(STANDARD_HEADER, claims(user_id, now, nbf=str(now)), secret),
        "exp null": token(STANDARD_HEADER, claims(user_id, now, exp=None), secret),
        "exp absent": token(STANDARD_HEADER, claims(user_id, now, exp=ABSENT), secret),
        "exp NaN": token(STANDARD_HEADER, raw["exp"], secret),
        "nbf NaN": token(STANDARD_HEADER, raw["nbf"], secret),
        "iat NaN": token(STANDARD_HEADER, raw["iat"], secret),
        "exp Infinity": token(STANDARD_HEADER, _raw_claim(user_id, now, "exp", "Infinity"),
                              secret),
        "exp 1e400": token(STANDARD_HEADER, _raw_claim(user_id, now, "exp", "1e400"), secret),
        "exp huge integer": token(STANDARD_HEADER, _raw_claim(user_id, now, "exp", "9" * 400),
                                  secret),
        "exp float": token(STANDARD_HEADER, claims(user_id, now, exp=now + 3600.5), secret),
        "exp true": token(STANDARD_HEADER, claims(user_id, now, exp=True), secret),
        "exp string": token(STANDARD_HEADER, claims(user_id, now, exp=str(now + 99)), secret),
        "expired": token(STANDARD_HEADER, claims(user_id, now, exp=now - 10), secret),
        "expired with bad sub": token(STANDARD_HEADER, claims(user_id, now, exp=now - 10,
                                                              sub="x"), secret),
        "BOM before payload": token(STANDARD_HEADER, b"\xef\xbb\xbf" + good_payload, secret),
        "BOM before header": token(b"\xef\xbb\xbf" + STANDARD_HEADER, good_payload, secret),
        "invalid UTF-8 in payload": token(
            STANDARD_HEADER, good_payload.replace(b'"fuzz"', b'"f\xff\xfe\xc3z"'), secret),
        "invalid UTF-8 outside strings": token(STANDARD_HEADER, good_payload + b"\xff", secret),
        "Latin-1 header text": token(b'{"alg":"HS256","typ":"JWT","x":"\xc3\xa9\xff"}',
                                     good_payload, secret),
        "non-string kid": token(b'{"alg":"HS256","typ":"JWT","kid":7}', good_payload, secret),
        "object kid": token(b'{"alg":"HS256","kid":{"a":[1]}}', good_payload, secret),
        "crit": token(b'{"alg":"HS256","typ":"JWT","crit":["exp"]}', good_payload, secret),
        "b64 false": token(b'{"alg":"HS256","b64":false,"crit":["b64"]}', good_payload, secret),
        "no typ": token(b'{"alg":"HS256"}', good_payload, secret),
        "typ JWS": token(b'{"alg":"HS256","typ":"JWS"}', good_payload, secret),
        "typ JWT, payload not JSON": token(STANDARD_HEADER, b"not json", secret),
        "no typ, payload not JSON": token(b'{"alg":"HS256"}', b"not json", secret),
        "payload array": token(STANDARD_HEADER, b"[1,2]", secret),
        "payload string": token(STANDARD_HEADER, b'"x"', secret),
        "payload number": token(STANDARD_HEADER, b"12", secret),
        "payload null": token(STANDARD_HEADER, b"null", secret),
        "payload with spaces": token(STANDARD_HEADER, b" \n" + good_payload + b"\t", secret),
        "payload with duplicate exp": token(
            STANDARD_HEADER, good_payload[:-1] + f',"exp":{now - 5}}}'.encode(), secret),
        "alg lower case": token(b'{"alg":"hs256","typ":"JWT"}', good_payload, secret),
        "alg escaped": token(b'{"alg":"HS\\u0032\\u0035\\u0036"}', good_payload, secret),
        "alg twice": token(b'{"alg":"none","alg":"HS256"}', good_payload, secret),
        "alg none": token(b'{"alg":"none","typ":"JWT"}', good_payload, secret),
        "alg array": token(b'{"alg":["HS256"]}', good_payload, secret),
        "header array": token(b'["HS256"]', good_payload, secret),
        "header number": token(b"1", good_payload, secret),
        "header zero": token(b"0", good_payload, secret),
        "header NaN": token(b'{"alg":"HS256","x":NaN}', good_payload, secret),
        "header with control character": token(b'{"alg":"HS256","x":"\x01"}', good_payload,
                                               secret),
        "header deeply nested": token(b'{"alg":"HS256","x":' + b"[" * 3000 + b"]" * 3000 + b"}",
                                      good_payload, secret),
        "sub leading zeros": token(STANDARD_HEADER, claims(user_id, now,
                                                           sub=f"000{user_id}"), secret),
        "sub with newline": token(STANDARD_HEADER, claims(user_id, now, sub=f"{user_id}\n"),
                                  secret),
        "sub number": token(STANDARD_HEADER, claims(user_id, now, sub=user_id), secret),
        "sub too large": token(STANDARD_HEADER, claims(user_id, now, sub="2147483648"), secret),
        "sub full-width digits": token(STANDARD_HEADER, claims(user_id, now, sub="\uff11"),
                                       secret),
        "wrong secret": token(STANDARD_HEADER, good_payload, secret + "x"),
        "header length 4n+1": _resign((b64url(STANDARD_HEADER) + "A", body), secret),
        "payload length 4n+1": _resign((head, body + "A"), secret),
    }
