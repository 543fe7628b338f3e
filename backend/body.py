"""Read request bodies as ``express.json()`` (body-parser 2) does, errors included.

The parsed body is ``g.body``: a dict or list, ``{}`` when the request has no JSON body. The
steps and their order are body-parser's: a body at all (Transfer-Encoding or a numeric
Content-Length), a JSON media type (``backend.media_type``), a charset starting with ``utf-``
(415), a supported Content-Encoding (415, ``backend.content_encoding``), a declared identity
length within the limit (413), a charset iconv-lite knows (415, ``backend.charsets``), then
reading (413 past 100 kB inflated, 400 when unreadable), decoding and strict JSON (400).
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from flask import Flask, g, request

from backend import charsets, content_encoding, media_type
from backend.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from backend.express_json import deep_recursion, loads_strict

LIMIT = 100 * 1024
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_WHITESPACE = " \t\n\r"


def read_body() -> None:
    """Parse the request body into ``g.body`` or raise legacy's body error."""
    g.body = {}
    headers = request.headers
    if "Transfer-Encoding" not in headers and not _is_number(headers.get("Content-Length")):
        return
    content_type = headers.get("Content-Type")
    if not media_type.is_json(content_type):
        return
    charset = media_type.charset(content_type) or "utf-8"
    if not charset.startswith("utf-"):
        raise UnsupportedMediaType("body", "has an unsupported charset")
    encoding = content_encoding.encoding_of(headers.get("Content-Encoding"))
    if encoding not in content_encoding.SUPPORTED:
        raise UnsupportedMediaType("body", "has an unsupported content encoding")
    length = headers.get("Content-Length")
    if encoding == content_encoding.IDENTITY and _is_number(length) and float(length) > LIMIT:
        raise PayloadTooLarge("body", "is too large")
    try:
        decode = charsets.decoder(charset)
    except charsets.UnsupportedCharset:
        raise UnsupportedMediaType("body", "has an unsupported charset") from None
    g.body = parse(decode(_read(encoding)))


def parse(text: str) -> Any:
    """Parse decoded ``text`` strictly (an object or array at the top), fix lone surrogates."""
    if text == "":
        return {}
    if text.lstrip(_JSON_WHITESPACE)[:1] not in ("{", "["):
        raise BadRequest("body", "is not valid JSON")
    try:
        value = loads_strict(text)
    except ValueError:
        raise BadRequest("body", "is not valid JSON") from None
    with deep_recursion():
        return _well_formed(value)


def _well_formed(value: Any) -> Any:
    """Replace lone surrogates by U+FFFD, as Node's UTF-8 encoder does when storing."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_well_formed(item) for item in value]
    if isinstance(value, dict):
        return {_well_formed(key): _well_formed(item) for key, item in value.items()}
    return value


def _is_number(value: str | None) -> TypeGuard[str]:
    if value is None:
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _read(encoding: str) -> bytes:
    """Return the body, inflated, within the limit; raise legacy's error otherwise."""
    data = request.stream.read(LIMIT * 64 + 1)
    if encoding == content_encoding.IDENTITY:
        if len(data) > LIMIT:
            raise PayloadTooLarge("body", "is too large")
        return data
    try:
        return content_encoding.inflate(encoding, data, LIMIT)
    except content_encoding.TooLarge:
        raise PayloadTooLarge("body", "is too large") from None
    except content_encoding.Unreadable:
        raise BadRequest("body", "could not be read") from None


def init_app(app: Flask) -> None:
    """Read every request's body before routing, as ``app.use(express.json())`` does."""
    app.before_request(read_body)
