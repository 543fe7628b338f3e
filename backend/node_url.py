"""Request targets as Express reads them: ``parseurl``, Node's legacy ``url.parse``, mounts.

Express routes on the pathname ``parseurl`` gives for ``req.url``. Its fast path splits a
target that starts with ``/`` at the first ``?``; a target with ``#`` (or white space, or one
not starting with ``/``, such as an absolute ``http://host/path``) goes through Node's
``url.parse``, which drops the fragment, turns ``\\`` before the query into ``/``, parses and
checks the host (an undecodable user part or a bad ``xn--`` label throws) and escapes a few
characters (``'`` becomes ``%27``). A router mounted at a path (``app.use("/api", api)``)
removes the matched prefix from ``req.url`` itself, not from the pathname, and parses again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

import idna

from backend.validation import JS_WHITESPACE


class InvalidUrl(ValueError):
    """``url.parse`` throws on this target (Express then answers 404 for ``resource``)."""


@dataclass(frozen=True)
class Target:
    """The parts of a request target Express looks at (None where Node leaves them unset)."""

    pathname: str | None
    query: str | None


_FAST_PATH_EXITS = frozenset("\t\n\f\r #\u00a0\ufeff")
_SIMPLE_PATH = re.compile(rf"(//?(?!/)[^?{JS_WHITESPACE}]*)(\?[^{JS_WHITESPACE}]*)?")
_PROTOCOL = re.compile(r"[a-z0-9.+-]+:", re.IGNORECASE | re.ASCII)
_PORT = re.compile(r":[0-9]*\Z")
_HOST_WITH_USER = re.compile(r"//[^@/]+@[^@/]+")
_FORBIDDEN_HOST = re.compile(r"[\0\t\n\r #%/:<>?@\[\\\]^|]")
_FORBIDDEN_IPV6_HOST = re.compile(r"[\0\t\n\r #%/<>?@\\^|]")
_HOSTLESS = frozenset({"javascript", "javascript:"})
_SLASHED = frozenset({"http", "http:", "https", "https:", "ftp", "ftp:", "gopher", "gopher:",
                      "file", "file:", "ws", "ws:", "wss", "wss:"})
_AUTO_ESCAPED = {"\t": "%09", "\n": "%0A", "\r": "%0D", " ": "%20", '"': "%22", "'": "%27",
                 "<": "%3C", ">": "%3E", "\\": "%5C", "^": "%5E", "`": "%60", "{": "%7B",
                 "|": "%7C", "}": "%7D"}
_NOT_IN_HOST = frozenset(" \"%';<>\\^`{|}")
_HOST_ENDS = frozenset("#/?")
_HOSTNAME_MAX = 255


def parse(url: str) -> Target:
    """Return what ``parseurl`` reads from ``req.url``; raise InvalidUrl when it throws."""
    if not url.startswith("/"):
        return url_parse(url)
    pathname, query = url, None
    for index in range(1, len(url)):
        char = url[index]
        if char == "?" and query is None:
            pathname, query = url[:index], url[index + 1:]
        elif char in _FAST_PATH_EXITS:
            return url_parse(url)
    return Target(pathname, query)


def _is_space(char: str) -> bool:
    return ord(char) < 33 or char in "\u00a0\ufeff"


def _trimmed_rest(url: str) -> tuple[str, bool, bool]:
    """Return the target trimmed, ``\\`` before ``?``/``#`` as ``/``; and whether # and @ occur."""
    has_hash = has_at = split = in_space = False
    start = end = -1
    rest = ""
    last = 0
    for index, char in enumerate(url):
        space = _is_space(char)
        if start == -1:
            if space:
                continue
            last = start = index
        elif in_space:
            if not space:
                end, in_space = -1, False
        elif space:
            end, in_space = index, True
        if not split:
            if char == "@":
                has_at = True
            elif char in "#?":
                has_hash = has_hash or char == "#"
                split = True
            elif char == "\\":
                rest += url[last:index] + "/"
                last = index + 1
        elif not has_hash and char == "#":
            has_hash = True
    if start != -1:
        if last == start:
            rest = url[start:] if end == -1 else url[start:end]
        elif end == -1 and last < len(url):
            rest += url[last:]
        elif end != -1 and last < end:
            rest += url[last:end]
    return rest, has_hash, has_at


def url_parse(url: str) -> Target:
    """Return the pathname and query of Node's ``url.parse(url)``; raise InvalidUrl."""
    rest, has_hash, has_at = _trimmed_rest(url)
    if not has_hash and not has_at:
        simple = _SIMPLE_PATH.fullmatch(rest)
        if simple:
            return Target(simple[1], simple[2][1:] if simple[2] else None)
    protocol = _PROTOCOL.match(rest)
    lower_protocol = ""
    if protocol:
        lower_protocol = protocol[0].lower()
        rest = rest[len(protocol[0]):]
    slashes = False
    if protocol or _HOST_WITH_USER.match(rest):
        slashes = rest.startswith("//")
        if slashes and lower_protocol not in _HOSTLESS:
            rest = rest[2:]
    hostname = ""
    if lower_protocol not in _HOSTLESS and (
        slashes or (protocol and protocol[0] not in _SLASHED)
    ):
        hostname, rest = _split_host(rest)
    if lower_protocol not in _HOSTLESS:
        rest = "".join(_AUTO_ESCAPED.get(char, char) for char in rest)
    hash_at = rest.find("#")
    before_hash = rest if hash_at == -1 else rest[:hash_at]
    question = before_hash.find("?")
    query = None if question == -1 else before_hash[question + 1:]
    first = question if question != -1 else hash_at
    pathname: str | None = None
    if first == -1:
        pathname = rest or None
    elif first > 0:
        pathname = rest[:first]
    if lower_protocol in _SLASHED and hostname and not pathname:
        pathname = "/"
    return Target(pathname, query)


def _split_host(rest: str) -> tuple[str, str]:
    """Take the authority off ``rest``: return the checked hostname and what follows it."""
    host_end = at_sign = not_host = -1
    index = 0
    while index < len(rest):
        char = rest[index]
        if char in "\t\n\r":
            rest = rest[:index] + rest[index + 1:]
            continue
        if char in _NOT_IN_HOST:
            if not_host == -1:
                not_host = index
        elif char in _HOST_ENDS:
            if not_host == -1:
                not_host = index
            host_end = index
        elif char == "@":
            at_sign, not_host = index, -1
        if host_end != -1:
            break
        index += 1
    start = 0
    if at_sign != -1:
        _decode_uri_component(rest[:at_sign])  # the user part; url.parse throws if it cannot
        start = at_sign + 1
    if not_host == -1:
        host, rest = rest[start:], ""
    else:
        host, rest = rest[start:not_host], rest[not_host:]
    port = _PORT.search(host)
    if port:
        host = host[: len(host) - len(port[0])]
    hostname = host
    ipv6 = hostname.startswith("[") and hostname.endswith("]")
    if not ipv6:
        for index, char in enumerate(hostname):
            if char in "/\\#?:":
                rest = f"/{hostname[index:]}{rest}"
                hostname = hostname[:index]
                break
    hostname = "" if len(hostname) > _HOSTNAME_MAX else hostname.lower()
    if hostname:
        if ipv6:
            if _FORBIDDEN_IPV6_HOST.search(hostname):
                raise InvalidUrl(hostname)
        else:
            hostname = _to_ascii(hostname)
            if not hostname or _FORBIDDEN_HOST.search(hostname):
                raise InvalidUrl(hostname)
    if ipv6:
        hostname = hostname[1:-1]
        if not rest.startswith("/"):
            rest = "/" + rest
    return hostname, rest


def _to_ascii(hostname: str) -> str:
    """Return the IDNA ASCII form of an ASCII ``hostname``, or "" where Node's fails.

    Only ``xn--`` labels can fail. Node validates them with UTS #46 (ada); the ``idna``
    package's IDNA 2008 rules agree on most labels but are stricter with symbols, so a few
    labels Node accepts are refused here (docs/contract.md lists it).
    """
    for label in hostname.split("."):
        if label.startswith("xn--"):
            try:
                idna.decode(label)
            except (idna.IDNAError, UnicodeError):
                return ""
    return hostname


def _decode_uri_component(text: str) -> str:
    """Decode as ``decodeURIComponent``; raise InvalidUrl where it throws."""
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise InvalidUrl(text)
    try:
        return unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidUrl(text) from None


def protohost(url: str) -> str:
    """Return router's "protohost" of ``req.url`` (``http://host`` of an absolute target)."""
    if not url or url.startswith("/"):
        return ""
    search = url.find("?")
    scheme_end = url[: search if search != -1 else len(url)].find("://")
    if scheme_end == -1:
        return ""
    slash = url.find("/", 3 + scheme_end)
    return url[:slash] if slash != -1 else ""


def unmount(url: str, prefix_length: int) -> str:
    """Return ``req.url`` inside a router mounted at a matched prefix of ``prefix_length``."""
    host = protohost(url)
    inner = host + url[len(host) + prefix_length:]
    if not host and not inner.startswith("/"):
        inner = "/" + inner
    return inner
