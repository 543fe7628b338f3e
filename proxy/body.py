"""Bodies streamed through the proxy, chunk by chunk, never held whole.

A request body that cannot be read whole (shorter than its Content-Length, a chunked body
cut off or malformed, over the proxy's limit) is the client's error: ``ClientBodyError``
carries the status the client gets, and no upstream connection that carried part of it is
ever used again.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from proxy.upstream import CHUNK


class ClientBodyError(Exception):
    """The client's request body could not be read whole (400 unless a subclass says)."""

    status = 400


class ShortBody(ClientBodyError):
    """The body ended before its Content-Length, or before its last chunk."""


class UnreadableBody(ClientBodyError):
    """Reading the body failed: malformed chunked encoding, or the client went away."""


class BodyTooLarge(ClientBodyError):
    """The request body is over the proxy's limit."""

    status = 413


def declared_length(environ: dict[str, Any]) -> int | None:
    """Return Content-Length as an int, None if absent; raise ValueError if malformed."""
    value = environ.get("CONTENT_LENGTH", "")
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(f"malformed Content-Length {value!r}")
    return int(value)


def has_body(environ: dict[str, Any]) -> bool:
    """Return whether the request carries a body (a length, or chunked)."""
    if environ.get("CONTENT_LENGTH") not in (None, "", "0"):
        return True
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def request_chunks(stream: Any, length: int | None, limit: int) -> Iterator[bytes]:
    """Yield the request body from ``wsgi.input``, whole or not at all.

    Raise BodyTooLarge past ``limit`` bytes, ShortBody when the stream ends before
    ``length`` bytes, UnreadableBody when reading fails (the server's parser refused a chunk,
    or the socket failed).
    """
    remaining = length if length is not None else limit + 1
    seen = 0
    while remaining > 0:
        try:
            chunk = stream.read(min(CHUNK, remaining))
        except Exception as error:  # the server's body parser or socket: the client's doing
            raise UnreadableBody(f"request body unreadable ({type(error).__name__})") from None
        if not chunk:
            if length is not None:
                raise ShortBody(f"request body ended after {seen} of {length} bytes")
            return
        seen += len(chunk)
        if seen > limit:
            raise BodyTooLarge(f"request body over {limit} bytes")
        if length is not None:
            remaining -= len(chunk)
        yield chunk


def prefetched(chunks: Iterator[bytes], size: int = CHUNK) -> Iterator[bytes]:
    """Read the first ``size`` bytes now: a small body fails here, before any upstream sees it.

    Raises what ``chunks`` raises (ClientBodyError); the rest streams as before.
    """
    head: list[bytes] = []
    read = 0
    for chunk in chunks:
        head.append(chunk)
        read += len(chunk)
        if read >= size:
            break
    return itertools.chain(head, chunks)


class LimitedInput:
    """A ``wsgi.input`` for the in-process backend; it remembers a ClientBodyError it raised.

    The backend may catch the error and answer in its own way; the proxy answers the client
    with ``error`` instead (proxy.dispatch).
    """

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self.error: ClientBodyError | None = None

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            try:
                chunk = next(self._chunks, b"")
            except ClientBodyError as error:
                self.error = error
                raise
            if not chunk:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self.read(CHUNK if size < 0 else size)
        line, newline, rest = data.partition(b"\n")
        self._buffer = rest + self._buffer
        return line + newline

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class ObservedBody:
    """A WSGI response iterable that reports when the last byte went out (or failed)."""

    def __init__(
        self,
        chunks: Iterable[bytes],
        close: Callable[[], None],
        finish: Callable[[BaseException | None], None],
    ) -> None:
        self._chunks = chunks
        self._close = close
        self._finish = finish
        self._error: BaseException | None = None
        self._finished = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._chunks
        except BaseException as error:
            self._error = error
            raise

    def close(self) -> None:
        if self._finished:
            return
        self._finished = True
        try:
            self._close()
        finally:
            self._finish(self._error)
