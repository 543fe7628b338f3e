"""Request-smuggling attacks on the proxy's pooled connections to legacy: bodies cut short,
aborted or malformed, and legacy answering before the body arrived. Shared by the desync
tests (tests/integration/proxy/test_desync.py) and the hostile-client benchmark.
"""

from __future__ import annotations

from tests.support import rawhttp

SMUGGLING = b"\r\n" * 600 + b"GET /api/SMUGGLED HTTP/1.1\r\nHost: legacy\r\n\r\n"
TEXT = {"Content-Type": "text/plain"}  # legacy answers 401 before reading such a body
JSON = {"Content-Type": "application/json"}
CHUNKED = {"Content-Type": "text/plain", "Transfer-Encoding": "chunked"}
BIG = 200_000  # over the 64 KiB the proxy reads before it calls legacy

ATTACKS = {
    # name: (request bytes, what the client does next)
    "short body, client EOF": (
        rawhttp.request("POST", "/api/articles", TEXT, b"0123456789", length=1000), "shut"),
    "short JSON body, client EOF": (
        rawhttp.request("POST", "/api/users/login", JSON, b'{"user":', length=500), "shut"),
    "large short body, client EOF (cut while legacy reads it)": (
        rawhttp.request("POST", "/api/articles", TEXT, b"x" * (BIG // 2), length=BIG), "shut"),
    "short body, client abort": (
        rawhttp.request("POST", "/api/articles", TEXT, b"0123456789", length=1000), "reset"),
    "large short body, client abort": (
        rawhttp.request("POST", "/api/articles", TEXT, b"x" * (BIG // 2), length=BIG), "reset"),
    "chunked body cut inside a chunk, client EOF": (
        rawhttp.request("POST", "/api/articles", CHUNKED) + b"3e8\r\n0123456789", "shut"),
    "large chunked body cut, client EOF": (
        rawhttp.request("POST", "/api/articles", CHUNKED) + b"%x\r\n" % BIG + b"x" * (BIG // 2),
        "shut"),
    "malformed chunk after the first": (
        rawhttp.request("POST", "/api/articles", CHUNKED) + b"5\r\nhello\r\nZZ\r\nxx\r\n0\r\n\r\n",
        "read"),
    "chunked body cut, client abort": (
        rawhttp.request("POST", "/api/articles", CHUNKED) + b"3e8\r\n0123456789", "reset"),
    "whole body, legacy answers before reading it": (
        rawhttp.request("POST", "/api/articles", TEXT, b"x" * BIG), "read"),
}
