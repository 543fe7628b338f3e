"""Clean: turn an Observation into a comparable document, without Express/Flask noise.

The document is ``{"status": int, "headers": {name: value}, "body": ...}``:
- every header is compared (names lower-cased, repeats joined with ", ") except the
  documented noise in NOISE_HEADERS (docs/shadow-comparison.md), with these forms:
  content-type ignores case, spaces and charset spelling; list-valued headers (vary,
  cache-control, CORS lists) ignore token order and case; ``set-cookie`` keeps each
  cookie's name, whether it has a value, and its attributes (Expires and Max-Age only as
  "set", or Max-Age=0 for a deletion), never the value; ``etag`` is compared exactly when
  both decoded bodies are byte-equal, else only as weak/strong (``clean_pair``);
  content-length and content-encoding are compared through the decoded body.
- the body is decoded from its Content-Encoding (gzip, deflate, br) first; a body its
  header does not describe becomes ``"<N bytes: not gzip ...>"``; no body at all is
  EMPTY_BODY, unlike the JSON text ``""``.
- JSON bodies are parsed (shadow.document: key order is irrelevant, 1 == 1.0, numbers are
  exact decimals, but 1 != "1" and true != 1; duplicate keys and non-finite numbers show);
  other text is decoded by its charset; anything else, or a body over
  ``Rules.max_body_bytes``, becomes ``"<N bytes sha256:...>"``.
Then ``any:`` ignore rules remove (dict keys) or mask (list elements) their fields, other
ignore rules replace the value by its shape (shadow.shape), and lists declared unordered
are sorted so they compare as multisets.
"""

from __future__ import annotations

import codecs
import hashlib
import zlib
from collections.abc import Mapping
from typing import Any

import brotli

from shadow.document import EMPTY_BODY, canonical, parse_json
from shadow.observation import Headers, Observation
from shadow.paths import IGNORED
from shadow.rules import Rules
from shadow.shape import shape

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Per-instance or per-message headers: no client can rely on them being the same twice.
PER_INSTANCE = frozenset({"date", "server", "via", "x-request-id", "age"})
# Dropped: compared through the decoded body instead.
NOISE_HEADERS = HOP_BY_HOP | PER_INSTANCE | {"content-encoding", "content-length"}
# Compared in a form of its own (see _headers), unless a rule names it: then exactly.
SPECIAL_HEADERS = frozenset({"etag"})
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
COOKIE_TIMES = frozenset({"expires", "max-age"})


class _Side:
    """One observation's header pairs and its body decoded from its Content-Encoding."""

    __slots__ = ("body", "failure", "pairs", "raw")

    def __init__(self, observation: Observation, rules: Rules) -> None:
        headers = observation.headers
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        self.pairs = [(str(name).lower(), str(value)) for name, value in pairs]
        self.raw = observation.body or b""
        encoding = ", ".join(v for n, v in self.pairs if n == "content-encoding")
        self.body, self.failure = decode(self.raw, encoding, rules.max_body_bytes)


def clean(observation: Observation, rules: Rules) -> dict[str, Any]:
    """Return the comparable document of ``observation`` under ``rules`` (ETag as weak/strong)."""
    side = _Side(observation, rules)
    return _document(observation, side, rules, same_body=False)


def clean_pair(
    control: Observation, candidate: Observation, rules: Rules
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return both comparable documents; ETags compare exactly when the decoded bodies match."""
    left, right = _Side(control, rules), _Side(candidate, rules)
    # Empty bodies (HEAD, 304) say nothing about the representation the ETags describe.
    same = left.failure is None and right.failure is None and left.body == right.body != b""
    return (
        _document(control, left, rules, same_body=same),
        _document(candidate, right, rules, same_body=same),
    )


def same_head(control: Observation, candidate: Observation, rules: Rules) -> bool | None:
    """Fast path: True when the raw bodies are byte-equal and status and headers compare equal.

    Return None when the bodies differ (the full comparison decides). Byte-equal bodies under
    the same content-type and encoding are equal documents, whatever the rules say.
    """
    if control.body != candidate.body or control.status != candidate.status:
        return None
    left, right = _Side(control, rules), _Side(candidate, rules)
    if left.failure is not None or right.failure is not None or left.body != right.body:
        return None
    return _headers(left, rules, same_body=True) == _headers(right, rules, same_body=True)


def _document(observation: Observation, side: _Side, rules: Rules, *, same_body: bool) -> dict:
    headers = _headers(side, rules, same_body=same_body)
    if side.failure is not None:
        body: Any = side.failure
    else:
        body = clean_body(side.body, _content_type(side), rules)
    document = {"status": observation.status, "headers": headers, "body": body}
    for path in rules.ignore:
        for container, key in path.locate(document):
            container[key] = shape(container[key])
    for path in rules.ignore_any:
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


def _content_type(side: _Side) -> str:
    values = [v for n, v in side.pairs if n == "content-type"]
    return content_type(", ".join(values)) if values else ""


def clean_headers(headers: Headers, rules: Rules) -> dict[str, str]:
    """Keep the compared headers, lower-cased and normalised (ETag as weak/strong)."""
    return _headers(_Side(Observation(200, headers), rules), rules, same_body=False)


def _headers(side: _Side, rules: Rules, *, same_body: bool) -> dict[str, str]:
    noise = (NOISE_HEADERS | SPECIAL_HEADERS) - rules.headers
    kept: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in side.pairs:
        if name == "set-cookie":
            cookies.append(value)
        elif name not in noise:
            kept[name] = f"{kept[name]}, {value}" if name in kept else value
    for name, value in kept.items():
        if name == "content-type":
            kept[name] = content_type(value)
        elif name in TOKEN_LIST_HEADERS:
            tokens = {token.strip().lower() for token in value.split(",")}
            kept[name] = ", ".join(sorted(token for token in tokens if token))
        else:
            kept[name] = value.strip()
    if cookies:
        kept["set-cookie"] = " | ".join(sorted(cookie_shape(c) for c in cookies))
    etags = [v.strip() for n, v in side.pairs if n == "etag"]
    if etags and "etag" not in kept:
        etag = etags[-1]
        kept["etag"] = etag if same_body else ("weak" if etag.startswith("W/") else "strong")
    return kept


def cookie_shape(header: str) -> str:
    """Describe one Set-Cookie without its value: ``name=…; httponly; max-age; path=/``."""
    first, *attributes = (part.strip() for part in header.split(";"))
    name, equals, value = first.partition("=")
    shown = [f"{name.strip()}={'…' if value.strip() else ''}" if equals else name.strip()]
    described = []
    for attribute in attributes:
        key, has, arg = attribute.partition("=")
        key = key.strip().lower()
        if not key:
            continue
        if key in COOKIE_TIMES:
            expired = key == "max-age" and arg.strip().lstrip("-").isdigit() and int(arg) <= 0
            described.append(f"{key}=0" if expired else key)
        else:
            described.append(f"{key}={arg.strip()}" if has else key)
    return "; ".join(shown + sorted(described))


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


def decode(body: bytes, encoding: str, limit: int) -> tuple[bytes, str | None]:
    """Undo the Content-Encoding ``encoding`` of ``body`` (gzip, deflate, br; last first).

    Return the decoded bytes and None, or the raw bytes and a description of why they could
    not be decoded (not that encoding, an unknown encoding, more than ``limit`` bytes).
    """
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    data = body
    for coding in reversed(codings):
        if coding == "identity" or not data:
            continue
        try:
            data = _inflate(data, coding, limit)
        except (zlib.error, brotli.error, EOFError):
            return body, f"<{len(body)} bytes: not {coding} data, {_sha(body)}>"
        except _Unknown:
            return body, f"<{len(body)} bytes in unknown encoding {coding}, {_sha(body)}>"
        except _TooLarge:
            return body, f"<{len(body)} bytes of {coding} over {limit} bytes decoded, {_sha(body)}>"
    return data, None


class _Unknown(Exception):
    pass


class _TooLarge(Exception):
    pass


def _inflate(data: bytes, coding: str, limit: int) -> bytes:
    if coding in ("gzip", "x-gzip"):
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif coding == "deflate":
        inflater = zlib.decompressobj(zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS)
    elif coding == "br":
        decompressor = brotli.Decompressor()
        out = decompressor.process(data, output_buffer_limit=limit + 1)
        if len(out) > limit or not decompressor.can_accept_more_data():
            raise _TooLarge
        if not decompressor.is_finished():
            raise EOFError
        return out
    else:
        raise _Unknown
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit or inflater.unconsumed_tail:
        raise _TooLarge
    if not inflater.eof or inflater.unused_data:
        raise EOFError
    return out


def clean_body(body: bytes, content_type: str, rules: Rules) -> Any:
    """Parse JSON, decode text, and summarise binary or oversized bodies by digest."""
    if not body:
        return EMPTY_BODY
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


def _sha(body: bytes) -> str:
    return f"sha256:{hashlib.sha256(body).hexdigest()[:16]}"


def _digest(body: bytes) -> str:
    return f"<{len(body)} bytes {_sha(body)}>"
