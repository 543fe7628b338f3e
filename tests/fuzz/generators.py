"""Hypothesis strategies for the requests the fuzzer sends, and the shapes they carry.

Besides schemathesis's cases (``openapi_cases``) it builds requests from valid ones by
mutation, and raw-byte variants of what the API's HTTP layer reads: JWTs, Authorization and
other repeated headers, bodies (JSON text, charsets, content encodings, compression tricks),
request targets (escapes, ``#``, ``\\``, absolute form), query strings and methods. Each
request names its choices in ``shapes``; the comparison turns them into a cause.
"""

from __future__ import annotations

import gzip
import json
import zlib
from typing import Any

import brotli
from hypothesis import strategies as st

from tests.fuzz.http_shapes import (
    header_requests,
    method_requests,
    query_requests,
    server_layer_requests,
    target_requests,
)
from tests.fuzz.openapi_cases import openapi_requests
from tests.fuzz.sides import Live
from tests.fuzz.values import JSON_VALUE, UNICODE_SKEW, json_bytes, skewed, valid_templates
from tests.fuzz.wire import RawRequest
from tests.support import jwt_variants
from tests.support.processes import TEST_JWT_SECRET


def _mutate(value: Any, path: list[str], replacement: Any) -> Any:
    """Return ``value`` with the item at ``path`` replaced (a missing key is added)."""
    if not path:
        return replacement
    if isinstance(value, dict):
        return {**value, path[0]: _mutate(value.get(path[0]), path[1:], replacement)}
    return replacement


def _paths(value: Any, prefix: list[str]) -> list[list[str]]:
    paths = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _paths(item, [*prefix, key])
    return paths


SKEWED_TEXT = st.text(alphabet=st.sampled_from(UNICODE_SKEW[:20] + tuple("aZ09.")), min_size=1,
                      max_size=6)
VALID_SHAPED = {  # values that pass validation, so the request goes on to write
    "username": st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True),
    "email": st.builds(lambda name, host: f"{name}@{host}.co", SKEWED_TEXT, SKEWED_TEXT),
    "title": SKEWED_TEXT,
    "body": SKEWED_TEXT,
    "bio": SKEWED_TEXT,
}


@st.composite
def mutated_requests(draw, live: Live) -> RawRequest:
    """A valid request with one value replaced: strings, skewed Unicode, types, live names."""
    method, target, body, user = draw(st.sampled_from(valid_templates(live)))
    shapes = {"mutated", f"operation:{method} {target.split('?')[0]}"}
    if body is not None:
        for path in _paths(body, []):
            if path and path[-1] in VALID_SHAPED and draw(st.booleans()):
                body = _mutate(body, path, draw(VALID_SHAPED[path[-1]]))
    if body is not None and draw(st.booleans()):
        path = draw(st.sampled_from(_paths(body, [])))
        live_text = st.sampled_from(live.usernames + live.slugs + ["ANN@EXAMPLE.COM"])
        body = _mutate(body, path, draw(st.one_of(JSON_VALUE, live_text)))
        shapes.add("json-value")
    if draw(st.integers(0, 4)) == 0:
        user = draw(st.sampled_from([None, *live.usernames]))
    headers = [("Authorization", f"Token {live.token(user)}")] if user else []
    data = None
    if body is not None:
        headers.append(("Content-Type", "application/json"))
        data = json_bytes(body, draw(st.booleans()))
        if skewed(json.dumps(body, ensure_ascii=False)):
            shapes.add("unicode-skew")
    return RawRequest(method, target, headers, data, frozenset(shapes))


# ---- JWTs and Authorization --------------------------------------------------------------

@st.composite
def token_requests(draw, live: Live) -> RawRequest:
    """Each named JWT variant, or a byte-level mutation of a good token, in Authorization."""
    user = draw(st.sampled_from(live.usernames))
    named = jwt_variants.variants(TEST_JWT_SECRET, live.user_ids[user], live.now)
    name = draw(st.sampled_from(sorted(named)))
    token = named[name]
    shapes = {f"jwt:{name}"}
    if draw(st.integers(0, 3)) == 0:
        position = draw(st.integers(0, len(token)))
        inserted = draw(st.sampled_from(["=", ".", "A", "-", "_", "+", "/", " ", "==", ""]))
        cut = draw(st.integers(0, 2))
        token = token[:position] + inserted + token[position + cut:]
        shapes.add("jwt:mutated")
    scheme = draw(st.sampled_from(["Token", "token", "TOKEN", "Bearer", "Token ", "Tokem"]))
    target = draw(st.sampled_from(["/api/user", "/api/articles", "/api/articles/feed",
                                   f"/api/profiles/{user}", "/api/tags"]))
    return RawRequest("GET", target, [("Authorization", f"{scheme} {token}")], None,
                      frozenset(shapes))


# ---- bodies: text, charsets, encodings -----------------------------------------------------

CHARSET_PARAMETERS = [
    "", "; charset=utf-8", "; charset=UTF-8", "; charset=utf-8-sig", "; charset=utf-",
    "; charset=utf-16", "; charset=utf-16le", "; charset=utf-16-be", "; charset=utf-32",
    "; charset=utf-32le", "; charset=utf-7", "; charset=utf-7-imap", "; charset=latin1",
    "; charset=utf-8; charset=latin1", "; charset = latin1", "; charset*=UTF-8''latin1",
    "; charset=(utf-8)", '; charset="utf-16le"', '; charset="utf-8', "; charset=",
    "; charset=UTF-8:2019", "; charset=utf-x", ";;", "; charset=utf-8 x",
]
MEDIA_TYPES = ["application/json", "APPLICATION/Json", " application/json ", "text/plain",
               "application/vnd.api+json", "application/json x", "", "application/jsonx"]
TEXT_ENCODINGS = ["utf-8", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "utf-7",
                  "latin-1"]


def _compress(encoding: str, data: bytes, trick: str) -> bytes:
    if encoding in ("gzip", "x-gzip"):
        packed = gzip.compress(data)
        return {
            "none": packed, "trailing bytes": packed + b"xx", "trailing zeros": packed + b"\0\0",
            "two members": gzip.compress(data[: len(data) // 2])
            + gzip.compress(data[len(data) // 2:]),
            "truncated": packed[:-5], "partial magic": packed + b"\x1f",
        }[trick]
    if encoding == "deflate":
        packed = zlib.compress(data)
        return {"none": packed, "trailing bytes": packed + b"xx", "trailing zeros": packed
                + b"\0", "two members": packed + packed, "truncated": packed[:-3],
                "partial magic": zlib.compress(data, wbits=-15)}[trick]
    if encoding == "br":
        packed = brotli.compress(data)
        return {"none": packed, "trailing bytes": packed + b"xx", "trailing zeros": packed
                + b"\0", "two members": packed + packed, "truncated": packed[:-2],
                "partial magic": packed[:1]}[trick]
    return data


@st.composite
def body_requests(draw, live: Live) -> RawRequest:
    """A body through every layer body-parser reads: text, charset, encoding, media type."""
    method, target, body, user = draw(st.sampled_from(
        [t for t in valid_templates(live) if t[2] is not None]))
    shapes = {"body"}
    raw_text = draw(st.one_of(
        st.just(json.dumps(body, ensure_ascii=False)),
        st.just(json.dumps(body)[:-2]),
        st.sampled_from(["", " ", "{", "[]", "null", '"x"', "\ufeff{}", '{"user": NaN}',
                         "{}garbage", '{"a":1,"a":2}', "[" * 3000 + "]" * 3000]),
        JSON_VALUE.map(lambda value: json.dumps(value, ensure_ascii=False)),
    ))
    if skewed(raw_text):
        shapes.add("unicode-skew")
    text_encoding = draw(st.sampled_from(TEXT_ENCODINGS))
    try:
        data = raw_text.encode(text_encoding, "surrogatepass")
    except UnicodeEncodeError:
        data = raw_text.encode(text_encoding, "replace")
    if draw(st.booleans()):
        data = draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])) + data
    media = draw(st.sampled_from(MEDIA_TYPES))
    charset = draw(st.sampled_from(CHARSET_PARAMETERS))
    headers = [("Content-Type", media + charset)] if media or charset else []
    if charset:
        shapes.add("charset")
    if text_encoding != "utf-8":
        shapes.add(f"text:{text_encoding}")
    if draw(st.integers(0, 2)) == 0:
        encoding = draw(st.sampled_from(["gzip", "deflate", "br", "GZIP", "", " ", "identity",
                                         "x-gzip", "zstd", "gzip, identity", "compress"]))
        trick = draw(st.sampled_from(["none", "none", "trailing bytes", "trailing zeros",
                                      "two members", "truncated", "partial magic"]))
        data = _compress(encoding.strip().lower(), data, trick)
        headers.append(("Content-Encoding", encoding))
        shapes |= {"content-encoding", f"content-encoding:{trick}"}
    if user:
        headers.append(("Authorization", f"Token {live.token(user)}"))
    return RawRequest(method, target, headers, data, frozenset(shapes))


FAMILIES = {  # generator: how many of every 100 requests it builds
    "openapi": 38, "mutated": 20, "tokens": 9, "bodies": 11, "targets": 8, "queries": 6,
    "headers": 4, "methods": 2, "server-layer": 2,
}


def builders(live: Live) -> dict[str, st.SearchStrategy[RawRequest | None]]:
    """Return each generator's strategy, by family name."""
    return {
        "openapi": openapi_requests(live), "mutated": mutated_requests(live),
        "tokens": token_requests(live), "bodies": body_requests(live),
        "targets": target_requests(live), "queries": query_requests(live),
        "headers": header_requests(live), "methods": method_requests(live),
        "server-layer": server_layer_requests(live),
    }
