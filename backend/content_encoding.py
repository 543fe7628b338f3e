"""Request bodies inflated as body-parser 2 on Node 20's zlib inflates them.

``Content-Encoding`` is lower-cased; absent or empty means identity; ``deflate`` (zlib
format), ``gzip`` and ``br`` are read; anything else (``zstd`` too: Node 20 has no zstd) is
unsupported. Node's gunzip reads one member after another, and stops without error only at the
end of the data or at a zero byte following a member (trailing garbage is an error); its zlib
inflate and its brotli decoder ignore whatever follows the end of the stream. At most ``limit``
inflated bytes are read.
"""

from __future__ import annotations

import zlib

import brotli

from backend.node_unicode import to_lower_case

IDENTITY = "identity"
SUPPORTED = frozenset({IDENTITY, "deflate", "gzip", "br"})


class Unreadable(ValueError):
    """The data is not a complete stream of the encoding (corrupt, truncated, garbage)."""


class TooLarge(ValueError):
    """The inflated data is longer than the limit."""


def encoding_of(header: str | None) -> str:
    """Return the lower-cased encoding of a Content-Encoding value (identity when empty)."""
    return to_lower_case(header or IDENTITY)


def inflate(encoding: str, data: bytes, limit: int) -> bytes:
    """Return ``data`` inflated with ``encoding`` (one of SUPPORTED but identity)."""
    if encoding == "br":
        return _unbrotli(data, limit)
    if encoding == "gzip":
        return _gunzip(data, limit)
    return _zlib_stream(zlib.decompressobj(zlib.MAX_WBITS), data, limit)[0]


def _zlib_stream(decompressor, data: bytes, limit: int) -> tuple[bytes, bytes]:
    """Inflate one stream; return its output and the data after its end."""
    try:
        out = decompressor.decompress(data, limit + 1)
    except zlib.error:
        raise Unreadable("corrupt") from None
    if len(out) > limit:
        raise TooLarge(limit)
    if not decompressor.eof:
        raise Unreadable("truncated")
    return out, decompressor.unused_data


def _gunzip(data: bytes, limit: int) -> bytes:
    out = b""
    rest = data
    while True:
        member, rest = _zlib_stream(zlib.decompressobj(16 + zlib.MAX_WBITS), rest,
                                    limit - len(out))
        out += member
        if not rest or rest[0] == 0:
            return out


def _unbrotli(data: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    try:
        out = decompressor.process(data, output_buffer_limit=limit + 1)
    except brotli.error:
        end = _brotli_end(data, limit)
        if end == len(data):
            raise Unreadable("corrupt") from None
        return _unbrotli(data[:end], limit)
    if len(out) > limit:
        raise TooLarge(limit)
    if not decompressor.is_finished():
        raise Unreadable("truncated")
    return out


def _brotli_end(data: bytes, limit: int) -> int:
    """Return the shortest prefix of ``data`` that ends the stream, errs or fills the limit.

    Python's decoder refuses data after the end of a stream, which Node ignores; below that
    length the data decodes without error, so the end is found by bisection.
    """
    low, high = 1, len(data)
    while low < high:
        middle = (low + high) // 2
        decompressor = brotli.Decompressor()
        try:
            out = decompressor.process(data[:middle], output_buffer_limit=limit + 1)
            done = decompressor.is_finished() or len(out) > limit
        except brotli.error:
            done = True
        if done:
            high = middle
        else:
            low = middle + 1
    return low
