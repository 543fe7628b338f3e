"""Read request bodies as ``express.json()`` (body-parser 2) does, errors included.

The parsed body is ``g.body``: a dict or list, ``{}`` when the request has no JSON body.
"""

from __future__ import annotations

import codecs
import re
import zlib
from typing import Any

import brotli
from flask import Flask, g, request
from werkzeug.http import parse_options_header

from backend.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from backend.json import deep_recursion, loads_strict

LIMIT = 100 * 1024
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_JSON_WHITESPACE = " \t\n\r"


def read_body() -> None:
    """Parse the request body into ``g.body`` or raise legacy's body error."""
    g.body = {}
    headers = request.headers
    if "Transfer-Encoding" not in headers and not _is_number(headers.get("Content-Length")):
        return
    mimetype, options = parse_options_header(headers.get("Content-Type", ""))
    if mimetype.lower() != "application/json":
        return
    charset = options.get("charset", "utf-8").lower()
    if not charset.startswith("utf-"):
        raise UnsupportedMediaType("body", "has an unsupported charset")
    raw = _decoded_stream()
    try:
        codec = codecs.lookup(charset)
    except LookupError:
        raise UnsupportedMediaType("body", "has an unsupported charset") from None
    text = raw.decode(codec.name, "replace").removeprefix("\ufeff")
    g.body = parse(text)


def parse(text: str) -> Any:
    """Parse ``text`` strictly (an object or array at the top level), fix lone surrogates."""
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


def _is_number(value: str | None) -> bool:
    if value is None:
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _decoded_stream() -> bytes:
    encoding = request.headers.get("Content-Encoding", "identity").lower()
    if encoding not in ("identity", "gzip", "deflate", "br"):
        raise UnsupportedMediaType("body", "has an unsupported content encoding")
    length = request.headers.get("Content-Length")
    if encoding == "identity" and length is not None and int(float(length)) > LIMIT:
        raise PayloadTooLarge("body", "is too large")
    data = request.stream.read(LIMIT * 64 + 1)
    if encoding == "identity":
        if len(data) > LIMIT:
            raise PayloadTooLarge("body", "is too large")
        return data
    return _inflate(encoding, data)


def _inflate(encoding: str, data: bytes) -> bytes:
    try:
        if encoding == "br":
            out = brotli.decompress(data)
            complete = True
        else:
            wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
            decompressor = zlib.decompressobj(wbits)
            out = decompressor.decompress(data, LIMIT + 1)
            complete = decompressor.eof
    except (zlib.error, brotli.error):
        raise BadRequest("body", "could not be read") from None
    if len(out) > LIMIT:
        raise PayloadTooLarge("body", "is too large")
    if not complete:
        raise BadRequest("body", "could not be read")  # truncated stream
    return out


def init_app(app: Flask) -> None:
    """Read every request's body before routing, as ``app.use(express.json())`` does."""
    app.before_request(read_body)
