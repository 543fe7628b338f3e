"""Requests for what the HTTP layer reads before any route: targets, queries, repeated
headers, methods, and shapes only the HTTP servers themselves see."""

from __future__ import annotations

from hypothesis import strategies as st

from tests.fuzz.sides import Live
from tests.fuzz.wire import RawRequest

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
