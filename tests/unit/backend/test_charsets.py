"""Request bodies decoded as body-parser decodes them (iconv-lite), checked with Node."""

from __future__ import annotations

import random

import pytest

from backend import charsets, media_type
from tests.support.node_oracle import ask, ask_each

NAMES = ["utf-8", "UTF-8", "utf8", "utf-8-sig", "utf-", "utf-x", "utf-16", "utf-16le",
         "utf-16-le", "UTF-16BE", "utf-32", "utf-32le", "utf-32be", "utf-7", "utf-7-imap",
         "utf-8:2019", "utf-8:123", "utf-1-6-le", "utf-ebcdic", "utf-16 le", "utf-8\t"]
DECODED = ["utf-8", "utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be",
           "utf-7", "utf-7-imap"]


def samples(seed: int, count: int) -> list[bytes]:
    """Random bodies rich in what decoders disagree on: BOMs, NULs, surrogates, odd ends."""
    generator = random.Random(seed)
    pieces = [b"{", b"}", b'"', b"a", b"\x00", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf",
              b"\xd8\x3d", b"\xde\x00", b"\x3d\xd8", b"\x00\xdc", b"\xe6\x97\xa5", b"\xc3",
              b"\x80", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"+", b"-", b"&", b",",
              b"AGE", b"2D", b"/v8", b"ZZ", b"\x11\x00\x00\x00", b"\x00\x00\x11\x00", b" "]
    return [b"".join(generator.choice(pieces) for _ in range(generator.randrange(14)))
            for _ in range(count)]


def test_charset_names_resolve_as_iconv_lite_does() -> None:
    answers = ask_each("decode", [[name, b"{}"] for name in NAMES])
    for name, answer in zip(NAMES, answers, strict=True):
        try:
            charsets.decoder(name)
            ours = True
        except charsets.UnsupportedCharset:
            ours = False
        assert ours == ("text" in answer), name


BODIES = samples(20261202, 800)


@pytest.fixture(scope="module")
def node_decoded() -> dict[str, list[str]]:
    """iconv-lite's text for every sample body in every charset, from one Node process."""
    answers = iter(ask_each("decode", [[charset, body] for charset in DECODED
                                       for body in BODIES]))
    return {charset: [next(answers)["text"] for _ in BODIES] for charset in DECODED}


@pytest.mark.parametrize("charset", DECODED)
def test_bodies_decode_as_iconv_lite_does(charset: str,
                                          node_decoded: dict[str, list[str]]) -> None:
    decode = charsets.decoder(charset)
    different = [(body, node, decode(body)) for body, node in
                 zip(BODIES, node_decoded[charset], strict=True) if decode(body) != node]
    assert not different, f"{len(different)} bodies differ: {different[:5]}"


CONTENT_TYPES = [
    "application/json", "APPLICATION/JSON", " application/json ", "application/json;",
    "application/json;;", "application/json; charset=utf-8", "application/json;charset=UTF-8",
    "application/json; charset = latin1", "application/json; charset=utf-8; charset=latin1",
    "application/json; charset*=UTF-8''latin1", "application/json; charset=(utf-8)",
    'application/json; charset="utf-8"', 'application/json; charset="ut\\f-8"',
    'application/json; charset="utf-8', "application/json; charset=", 'application/json; a="x;y"',
    "application/json; charset", "application/json ; charset=utf-16", "application/json x",
    "application/jsonx", "application/vnd.api+json", "text/json", "application/*", "",
    "application/json,text/plain", "\tapplication/json\t;\tcharset=\tutf-8\t", ";charset=utf-8",
    "application/json; Charset=UTF-16LE", "application/json; charset=utf-8 x",
    'application/json; charset="a"b; charset=utf-8', "application/json; =x; charset=utf-7",
]


def test_content_types_read_as_body_parser_reads_them() -> None:
    answers = ask([("mediaType", header) for header in CONTENT_TYPES])
    ours = [{"json": media_type.is_json(header), "charset": media_type.charset(header)}
            for header in CONTENT_TYPES]
    assert ours == answers
