"""Clean: turn an Observation into a comparable document, without Express/Flask noise.

The document is ``{"status": int, "headers": {name: value}, "body": ...}``:
- header names are lower-cased and only the compared headers are kept (``Rules.headers``:
  content-type, location, cache-control, vary, www-authenticate, access-control-*);
  everything else, notably NOISE_HEADERS, is dropped. Repeated headers are joined with ", ".
- content-type is compared ignoring case, spaces and charset spelling
  (``application/json; charset=utf-8`` == ``application/json;charset=UTF-8``); list-valued
  headers (vary, cache-control, CORS lists) ignore token order and case.
- JSON bodies are parsed (shadow.document: key order is irrelevant, 1 == 1.0, but
  1 != "1" and true != 1);
  other text is decoded by its charset; anything else, or a body over
  ``Rules.max_body_bytes``, becomes ``"<N bytes sha256:...>"``.
Then the ignore rules remove (dict keys) or mask (list elements) their fields, and lists
declared unordered are sorted so they compare as multisets.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Mapping
from typing import Any

from shadow.document import canonical, parse_json
from shadow.observation import Headers, Observation
from shadow.paths import IGNORED
from shadow.rules import Rules

NOISE_HEADERS = frozenset(
    {
        "date",
        "etag",
        "x-powered-by",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "x-request-id",
        "via",
        "server",
    }
)
TOKEN_LIST_HEADERS = frozenset(
    {
        "vary",
        "cache-control",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
    }
)
TEXT_TYPES = ("text/", "application/xml", "application/javascript", "application/x-www-form")


def clean(observation: Observation, rules: Rules) -> dict[str, Any]:
    """Return the comparable document of ``observation`` under ``rules``."""
    headers = clean_headers(observation.headers, rules)
    document = {
        "status": observation.status,
        "headers": headers,
        "body": clean_body(observation.body, headers.get("content-type", ""), rules),
    }
    for path in rules.ignore:
        for container, key in path.locate(document):
            if isinstance(container, dict):
                container.pop(key, None)
            else:
                container[key] = IGNORED
    for path in rules.unordered:
        for container, key in path.locate(document):
            if isinstance(container[key], list):
                container[key] = _multiset(container[key])
    return document


def _multiset(items: list) -> list:
    """Sort a list declared unordered, so that equal multisets become equal lists."""
    if all(type(item) is str for item in items):
        return sorted(items)
    return sorted(items, key=canonical)


def clean_headers(headers: Headers, rules: Rules) -> dict[str, str]:
    """Keep the compared headers, lower-cased and normalised."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    kept: dict[str, str] = {}
    for name, value in pairs:
        name = name.lower()
        if name not in rules.headers:
            continue
        kept[name] = f"{kept[name]}, {value}" if name in kept else str(value)
    for name, value in kept.items():
        if name == "content-type":
            kept[name] = content_type(value)
        elif name in TOKEN_LIST_HEADERS:
            tokens = {token.strip().lower() for token in value.split(",")}
            kept[name] = ", ".join(sorted(token for token in tokens if token))
        else:
            kept[name] = value.strip()
    return kept


def content_type(value: str) -> str:
    """Normalise a content-type: lower case, no spaces, canonical charset name."""
    media, *params = (part.strip() for part in value.split(";"))
    normal = []
    for param in params:
        name, _, arg = param.partition("=")
        name, arg = name.strip().lower(), arg.strip().strip('"')
        if name == "charset":
            arg = _codec_name(arg)
        if name:
            normal.append(f"{name}={arg}")
    return ";".join([media.lower(), *sorted(normal)])


def clean_body(body: bytes, content_type: str, rules: Rules) -> Any:
    """Parse JSON, decode text, and summarise binary or oversized bodies by digest."""
    if not body:
        return ""
    if len(body) > rules.max_body_bytes:
        return _digest(body)
    media, _, params = content_type.partition(";")
    charset = _charset(params)
    sniffed = not media and body.lstrip()[:1] in (b"{", b"[")  # JSON without a content-type
    if media == "application/json" or media.endswith("+json") or sniffed:
        try:
            return parse_json(body.decode(charset, errors="replace"))
        except (ValueError, RecursionError):
            return body.decode(charset, errors="replace")
    if media.startswith(TEXT_TYPES) or not media:
        try:
            return body.decode(charset, errors="strict" if not media else "replace")
        except UnicodeDecodeError:
            return _digest(body)
    return _digest(body)


def _charset(params: str) -> str:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip() == "charset":
            try:
                return codecs.lookup(value.strip()).name
            except LookupError:
                break
    return "utf-8"


def _codec_name(name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


def _digest(body: bytes) -> str:
    return f"<{len(body)} bytes sha256:{hashlib.sha256(body).hexdigest()[:16]}>"
