"""Bodies streamed through the proxy, chunk by chunk, never held whole."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge

from proxy.upstream import CHUNK


class BodyTooLarge(RequestEntityTooLarge):
    """The request body is over the proxy's limit (413; Flask answers it as such too)."""


def declared_length(environ: dict[str, Any]) -> int | None:
    """Return Content-Length as an int, None if absent; raise ValueError if malformed."""
    value = environ.get("CONTENT_LENGTH", "")
    if not value:
        return None
    length = int(value)
    if length < 0:
        raise ValueError("negative Content-Length")
    return length


def has_body(environ: dict[str, Any]) -> bool:
    """Return whether the request carries a body (a length, or chunked)."""
    if environ.get("CONTENT_LENGTH") not in (None, "", "0"):
        return True
    return "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()


def request_chunks(stream: Any, length: int | None, limit: int) -> Iterator[bytes]:
    """Yield the request body from ``wsgi.input``; raise BodyTooLarge past ``limit`` bytes."""
    remaining = length if length is not None else limit + 1
    seen = 0
    while remaining > 0:
        chunk = stream.read(min(CHUNK, remaining))
        if not chunk:
            return
        seen += len(chunk)
        if seen > limit:
            raise BodyTooLarge(f"request body over {limit} bytes")
        if length is not None:
            remaining -= len(chunk)
        yield chunk


class LimitedInput:
    """A ``wsgi.input`` for the in-process backend that stops at the proxy's limit."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, b"")
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
