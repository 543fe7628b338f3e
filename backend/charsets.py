"""Request body charsets as body-parser decodes them: iconv-lite 0.7's ``utf-*`` decoders.

``express.json()`` accepts a charset only when it starts with ``utf-``; iconv-lite then looks
the name up after dropping everything but letters and digits (and a ``:NNNN`` suffix), so
``utf-16-le`` or ``UTF-8:2019`` are known and ``utf-8-sig`` or ``utf-`` are not. Each decoder
is ported as it behaves on a body read in one piece: invalid input gives U+FFFD, lone UTF-16
surrogates pass through (the JSON reader later stores them as U+FFFD), a trailing odd byte of
UTF-16 is dropped, and the BOM-aware decoders strip one leading U+FEFF.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from backend.node_buffer import from_base64
from backend.node_unicode import to_lower_case

_BOM = "\ufeff"


class UnsupportedCharset(LookupError):
    """iconv-lite knows no decoder by this name."""


def canonical_name(charset: str) -> str:
    """Return iconv-lite's lookup key for ``charset`` (``_canonicalizeEncoding``)."""
    return re.sub(r":\d{4}$|[^0-9a-z]", "", to_lower_case(charset))


def _strip_bom(text: str) -> str:
    return text.removeprefix(_BOM)


def _utf8(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _utf16le(data: bytes) -> str:
    return data[: len(data) // 2 * 2].decode("utf-16-le", "surrogatepass")


def _utf16be(data: bytes) -> str:
    return data[: len(data) // 2 * 2].decode("utf-16-be", "surrogatepass")


def _utf16_guess(data: bytes) -> str:
    """Decode UTF-16 of unknown byte order: a BOM, else the side with more ASCII wins (LE)."""
    pairs = [data[index:index + 2] for index in range(0, min(len(data), 200) - 1, 2)]
    if pairs and pairs[0] == b"\xff\xfe":
        return _strip_bom(_utf16le(data))
    if pairs and pairs[0] == b"\xfe\xff":
        return _strip_bom(_utf16be(data))
    big = sum(1 for pair in pairs if pair[0] == 0 and pair[1] != 0)
    little = sum(1 for pair in pairs if pair[0] != 0 and pair[1] == 0)
    return _strip_bom(_utf16be(data) if big > little else _utf16le(data))


def _utf32(data: bytes, little_endian: bool) -> str:
    chars = []
    for index in range(0, len(data) - 3, 4):
        code = int.from_bytes(data[index:index + 4], "little" if little_endian else "big")
        if code > 0x10FFFF:  # also the negative values of a signed 32-bit reading
            code = 0xFFFD
        chars.append(chr(code))
    if len(data) % 4:
        chars.append("\ufffd")
    return "".join(chars)


def _utf32_guess(data: bytes) -> str:
    """Decode UTF-32 of unknown byte order: a BOM, else the more plausible order (LE)."""
    quads = [data[index:index + 4] for index in range(0, min(len(data), 400) - 3, 4)]
    if quads and quads[0] == b"\xff\xfe\x00\x00":
        return _strip_bom(_utf32(data, True))
    if quads and quads[0] == b"\x00\x00\xfe\xff":
        return _strip_bom(_utf32(data, False))
    invalid_be = sum(1 for q in quads if q[0] != 0 or q[1] > 0x10)
    invalid_le = sum(1 for q in quads if q[3] != 0 or q[2] > 0x10)
    bmp_be = sum(1 for q in quads if q[0] == 0 and q[1] == 0 and (q[2] != 0 or q[3] != 0))
    bmp_le = sum(1 for q in quads if (q[0] != 0 or q[1] != 0) and q[2] == 0 and q[3] == 0)
    big = bmp_be - invalid_be > bmp_le - invalid_le
    return _strip_bom(_utf32(data, not big))


def _ascii(data: bytes) -> str:
    return "".join(chr(byte) if byte < 0x80 else "\ufffd" for byte in data)


_BASE64 = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+")


def _utf7(data: bytes, shift: int, alphabet: frozenset[int], comma: bool) -> str:
    """Decode UTF-7 (``shift`` ``+``) or IMAP's variant (``&``, ``,`` for ``/``)."""
    out = []
    last = 0
    in_base64 = False
    index = 0
    while index < len(data):
        byte = data[index]
        if not in_base64:
            if byte == shift:
                out.append(_ascii(data[last:index]))
                last = index + 1
                in_base64 = True
        elif byte not in alphabet:
            if index == last and byte == 0x2D:  # "+-" is a literal shift character
                out.append(chr(shift))
            else:
                out.append(_utf7_run(data[last:index], comma))
            if byte != 0x2D:
                index -= 1  # a "-" ending the run is absorbed; anything else is read again
            last = index + 1
            in_base64 = False
        index += 1
    ending = ""  # what the decoder's end() returns: the last run's incomplete group
    if not in_base64:
        out.append(_ascii(data[last:]))
    else:
        run = _ascii(data[last:])
        whole = len(run) - len(run) % 8
        out.append(_utf7_text(run[:whole], comma))
        ending = _utf7_text(run[whole:], comma)
    written = "".join(out)
    return (_strip_bom(written) if written else "") + ending


def _utf7_run(raw: bytes, comma: bool) -> str:
    return _utf7_text(_ascii(raw), comma)


def _utf7_text(run: str, comma: bool) -> str:
    if comma:
        run = run.replace(",", "/")
    return _strip_bom(_utf16be(from_base64(run)))


_DECODERS: dict[str, Callable[[bytes], str]] = {
    "utf8": lambda data: _strip_bom(_utf8(data)),
    "utf16le": lambda data: _strip_bom(_utf16le(data)),
    "utf16be": lambda data: _strip_bom(_utf16be(data)),
    "utf16": _utf16_guess,
    "utf32le": lambda data: _strip_bom(_utf32(data, True)),
    "utf32be": lambda data: _strip_bom(_utf32(data, False)),
    "utf32": _utf32_guess,
    "utf7": lambda data: _utf7(data, 0x2B, _BASE64, comma=False),
    "utf7imap": lambda data: _utf7(data, 0x26, _BASE64 | {0x2C}, comma=True),
}


def decoder(charset: str) -> Callable[[bytes], str]:
    """Return iconv-lite's decoder for ``charset``; raise UnsupportedCharset if it has none."""
    try:
        return _DECODERS[canonical_name(charset)]
    except KeyError:
        raise UnsupportedCharset(charset) from None
