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

from tests.fuzz.openapi_cases import openapi_requests
from tests.fuzz.sides import PASSWORD, Live
from tests.fuzz.wire import RawRequest
from tests.support import jwt_variants
from tests.support.processes import TEST_JWT_SECRET

# Code points where Node 20 and Python 3.13 disagree (lower-case, slug), and other hard text.
UNICODE_SKEW = ("\u1c89", "\ua7cb", "\ua7dc", "\U00010d50", "\U00016ea0", "\u0897", "\u1ad9",
                "\ua7f1", "\U000113bb", "\u0130", "\u03a3", "\u0345", "\u00df", "\ufb01",
                "\u2460", "\u212a", "\u017f", "\u0301", "\ufeff", "\u00a0", "\u2028", "\x00",
                "\ud800", "\U0001f600", "\u1e9e", "\u0149", "\u01c5", "\u24b6")
TEXT = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.sampled_from(UNICODE_SKEW + tuple("aZ09 .@-_Σ")), max_size=12),
    st.sampled_from(["", " ", "\t", "null", "x" * 300, "a@b.co", "A@B.CO", "🙂" * 70]),
)
JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children,
                                                                       max_size=3),
    max_leaves=6,
)


def _skewed(text: str) -> bool:
    """Tell whether ``text`` holds a code point the two Unicode versions treat differently."""
    return any(char in text for char in UNICODE_SKEW[:9])


def _json_bytes(value: Any, ascii_only: bool) -> bytes:
    text = json.dumps(value, ensure_ascii=ascii_only)
    return text.encode("utf-8", "surrogatepass")


# ---- valid requests, then mutated -------------------------------------------------------

def _valid_templates(live: Live) -> list[tuple[str, str, dict | None, str | None]]:
    """One valid request per operation: method, target, body, and who sends it."""
    slug, comment = live.slugs[0], live.comment_ids[0]
    return [
        ("POST", "/api/users", {"user": {"username": "fz", "email": "fz@x.io",
                                         "password": PASSWORD}}, None),
        ("POST", "/api/users/login", {"user": {"email": "ann@example.com",
                                               "password": PASSWORD}}, None),
        ("GET", "/api/user", None, "ann"),
        ("PUT", "/api/user", {"user": {"bio": "b", "image": "i"}}, "cy"),
        ("GET", "/api/profiles/bob", None, "ann"),
        ("POST", "/api/profiles/cy/follow", None, "bob"),
        ("DELETE", "/api/profiles/bob/follow", None, "ann"),
        ("GET", "/api/articles?limit=2&offset=0&tag=dragons", None, None),
        ("GET", "/api/articles/feed?limit=5", None, "ann"),
        ("GET", f"/api/articles/{slug}", None, "bob"),
        ("POST", "/api/articles", {"article": {"title": "T", "description": "d", "body": "b",
                                               "tagList": ["x", " y "]}}, "cy"),
        ("PUT", f"/api/articles/{slug}", {"article": {"title": "New title"}}, "ann"),
        ("DELETE", f"/api/articles/{live.slugs[2]}", None, "bob"),
        ("POST", f"/api/articles/{slug}/favorite", None, "bob"),
        ("DELETE", f"/api/articles/{slug}/favorite", None, "cy"),
        ("GET", f"/api/articles/{slug}/comments", None, None),
        ("POST", f"/api/articles/{slug}/comments", {"comment": {"body": "c"}}, "ann"),
        ("DELETE", f"/api/articles/{slug}/comments/{comment}", None, "bob"),
        ("GET", "/api/tags", None, None),
    ]


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
    method, target, body, user = draw(st.sampled_from(_valid_templates(live)))
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
        data = _json_bytes(body, draw(st.booleans()))
        if _skewed(json.dumps(body, ensure_ascii=False)):
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
        [t for t in _valid_templates(live) if t[2] is not None]))
    shapes = {"body"}
    raw_text = draw(st.one_of(
        st.just(json.dumps(body, ensure_ascii=False)),
        st.just(json.dumps(body)[:-2]),
        st.sampled_from(["", " ", "{", "[]", "null", '"x"', "\ufeff{}", '{"user": NaN}',
                         "{}garbage", '{"a":1,"a":2}', "[" * 3000 + "]" * 3000]),
        JSON_VALUE.map(lambda value: json.dumps(value, ensure_ascii=False)),
    ))
    if _skewed(raw_text):
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


# ---- targets, queries, methods ---------------------------------------------------------------

SEGMENT = st.one_of(
    st.sampled_from(["api", "API", "articles", "Articles", "profiles", "users", "user", "tags",
                     "feed", "comments", "favorite", "follow", "login", "", ".", "..",
                     "%2e%2e", "a%2Fb", "%ZZ", "%E6%97%A5", "%C0%AF", "%ED%A0%80", "%",
                     "%00", "a+b", "'", "*", "@", ":", ";x", "~"]),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E,
                                   exclude_characters="#?/%"), max_size=6),
)


@st.composite
def target_requests(draw, live: Live) -> RawRequest:
    """Request targets: segments, escapes, fragments, backslashes, absolute form."""
    segments = draw(st.lists(st.one_of(SEGMENT, st.sampled_from(live.slugs + live.usernames
                                                                 + live.comment_ids)),
                             min_size=1, max_size=6))
    path = "/" + "/".join(segments)
    if draw(st.booleans()):
        path = "/api/" + "/".join(segments)
    shapes = {"target"}
    suffix = draw(st.sampled_from(["", "", "/", "#", "#x", "#?limit=1", "?limit=1#x", "?x=%ZZ",
                                   "\\", "\\#", "//", "?"]))
    path += suffix
    if "#" in path:
        shapes.add("fragment")
    if "\\" in path:
        shapes.add("backslash")
    if draw(st.integers(0, 5)) == 0:
        path = draw(st.sampled_from(["http://host", "HTTP://h:80", "http://u@h",
                                     "http://u%ZZ@h", "ftp://h", "http://[::1]",
                                     "http://xn--a", "//h"])) + path
        shapes.add("absolute-target")
    method = draw(st.sampled_from(["GET", "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS",
                                   "PATCH"]))
    user = draw(st.sampled_from([None, *live.usernames]))
    headers = [("Authorization", f"Token {live.token(user)}")] if user else []
    body = None
    if method in ("POST", "PUT") and draw(st.booleans()):
        body, headers = b"{", [*headers, ("Content-Type", "application/json")]
    return RawRequest(method, path, headers, body, frozenset(shapes))


QUERY_NAMES = ["tag", "author", "favorited", "limit", "offset", "TAG", "limit[]", "x", ""]
QUERY_VALUES = st.one_of(
    st.sampled_from(["", "0", "1", "20", "100", "101", "-1", "1.0", "0x1", "00000000001",
                     "9" * 30, "2147483647", "2147483648", "%00", "%ZZ", "%E6%97%A5", "a+b",
                     "%2B", "dragons", "ann", "bob", "cy", "%FF", "1%00"]),
    st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E,
                                   exclude_characters="#&="), max_size=5),
)


@st.composite
def query_requests(draw, live: Live) -> RawRequest:
    """List queries: repeated names, escapes, separators, more than 1,000 pairs."""
    pairs = draw(st.lists(st.tuples(st.sampled_from(QUERY_NAMES), QUERY_VALUES), max_size=6))
    parts = [f"{name}={value}" if draw(st.booleans()) or value else name
             for name, value in pairs]
    shapes = {"query"}
    if len({name for name, _ in pairs}) < len(pairs):
        shapes.add("query:repeated")
    if draw(st.integers(0, 6)) == 0:
        filler = draw(st.sampled_from([995, 998, 999, 1000, 1001, 1200]))
        parts = [f"k{n}=v" for n in range(filler)] + parts
        shapes.add("query:many")
    separator = draw(st.sampled_from(["&", "&", "&&", ";"]))
    feed = draw(st.booleans())
    target = ("/api/articles/feed?" if feed else "/api/articles?") + separator.join(parts)
    user = "ann" if feed or draw(st.booleans()) else None
    headers = [("Authorization", f"Token {live.token(user)}")] if user else []
    return RawRequest("GET", target, headers, None, frozenset(shapes))


REPEATABLE = ["Authorization", "authorization", "If-None-Match", "Cache-Control",
              "Access-Control-Request-Headers", "Content-Encoding", "Cookie", "X-Custom",
              "If-Modified-Since", "Origin"]


@st.composite
def header_requests(draw, live: Live) -> RawRequest:
    """Headers sent more than once, in any case, and Node's 1,000-line limit."""
    user = draw(st.sampled_from(live.usernames))
    good = f"Token {live.token(user)}"
    values = st.sampled_from([good, "Token x", "", "*", '"x"', "no-cache", "a, b",
                              'W/"b-x"', "gzip", "Wed, 21 Oct 2015 07:28:00 GMT"])
    lines = draw(st.lists(st.tuples(st.sampled_from(REPEATABLE), values), min_size=2,
                          max_size=5))
    shapes = {"headers"}
    names = [name.lower() for name, _ in lines]
    if len(set(names)) < len(names):
        shapes.add("headers:repeated")
    if draw(st.integers(0, 9)) == 0:
        lines = [("X-Filler", "v")] * draw(st.sampled_from([996, 997, 998, 999])) + lines
        shapes.add("headers:many")
    method, target = draw(st.sampled_from([("GET", "/api/user"), ("GET", "/api/tags"),
                                           ("OPTIONS", "/api/tags"), ("GET", "/api/articles"),
                                           ("POST", "/api/users")]))
    body = b'{"user":{}}' if method == "POST" else None
    if body:
        lines.append(("Content-Type", "application/json"))
    return RawRequest(method, target, lines, body, frozenset(shapes))


# Methods Node's HTTP parser knows (llhttp); others are refused before Express sees them.
NODE_METHODS = ["DELETE", "GET", "HEAD", "POST", "PUT", "CONNECT", "OPTIONS", "TRACE", "COPY",
                "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK", "BIND",
                "REBIND", "UNBIND", "ACL", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE",
                "M-SEARCH", "NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "PATCH", "PURGE", "MKCALENDAR",
                "LINK", "UNLINK", "SOURCE", "QUERY"]


@st.composite
def method_requests(draw, live: Live) -> RawRequest:
    """Every method Node's parser knows, on known and unknown paths."""
    method = draw(st.sampled_from([m for m in NODE_METHODS if m != "CONNECT"]))
    target = draw(st.sampled_from(["/api/tags", "/api/articles", "/api/user", "/api/nope",
                                   f"/api/articles/{live.slugs[0]}"]))
    return RawRequest(method, target, [], None, frozenset({"method", f"method:{method}"}))


# ---- HTTP-server-level shapes (documented differences: docs/fuzzing.md) -----------------------

@st.composite
def server_layer_requests(draw, live: Live) -> RawRequest:
    """What the HTTP servers themselves refuse or accept differently from each other."""
    kind = draw(st.sampled_from(["control character in target", "method Node does not know",
                                 "asterisk target", "repeated Content-Type",
                                 "invalid Transfer-Encoding", "head over 16 KiB",
                                 "lower-case method"]))
    shapes = frozenset({"server-layer", f"server-layer:{kind}"})
    if kind == "control character in target":
        char = draw(st.sampled_from(["\x01", "\x7f", "\xa0", "\xe9", " x"]))
        return RawRequest("GET", f"/api/tags{char}", [], None, shapes)
    if kind == "method Node does not know":
        return RawRequest(draw(st.sampled_from(["FOO", "BREW", "GETS"])), "/api/tags", [], None,
                          shapes)
    if kind == "asterisk target":
        return RawRequest(draw(st.sampled_from(["GET", "OPTIONS"])), "*", [], None, shapes)
    if kind == "repeated Content-Type":
        return RawRequest("POST", "/api/users", [("Content-Type", "application/json"),
                                                 ("Content-Type", "text/plain")], b"{", shapes)
    if kind == "invalid Transfer-Encoding":
        return RawRequest("POST", "/api/users", [("Transfer-Encoding", "gzip, chunked, x")],
                          b"0\r\n\r\n", shapes)
    if kind == "head over 16 KiB":
        return RawRequest("GET", "/api/tags", [("X-Big", "x" * 17000)], None, shapes)
    return RawRequest("get", "/api/tags", [], None, shapes)


FAMILIES = {  # generator: weight (out of 100)
    "openapi": 38, "mutated": 20, "tokens": 9, "bodies": 11, "targets": 8, "queries": 6,
    "headers": 4, "methods": 2, "server-layer": 2,
}


def requests(live: Live) -> st.SearchStrategy[tuple[str, RawRequest | None]]:
    """Return the fuzzer's strategy: (family, request), families drawn by weight."""
    builders = {
        "openapi": openapi_requests(live), "mutated": mutated_requests(live),
        "tokens": token_requests(live), "bodies": body_requests(live),
        "targets": target_requests(live), "queries": query_requests(live),
        "headers": header_requests(live), "methods": method_requests(live),
        "server-layer": server_layer_requests(live),
    }
    weighted = [family for family, weight in FAMILIES.items() for _ in range(weight)]
    return st.sampled_from(weighted).flatmap(
        lambda family: builders[family].map(lambda request: (family, request)))
