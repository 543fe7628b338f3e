"""Gather one request's bytes (head and body) before any thread works on it.

The proxy's gunicorn worker (proxy.worker) feeds each connection's bytes to an Intake from
its event loop. The Intake says when the request is whole (its head, then its body by
Content-Length or up to the last chunk), when it can never be (the client went away, the
head is too large), or that more must come; the worker enforces the deadlines. gunicorn's
own parser then reads the request from the Intake (``recv``) in a worker thread, never from
the socket: a slow client costs a socket and its buffered bytes, never a thread.

The Intake only decides *when* to hand a request over. gunicorn's parser still decides what
the bytes mean: framing the Intake finds ambiguous (two lengths, a length and chunked, a
malformed chunk) is handed over at once and refused there, and a request handed over before
it was whole (the client's EOF mid-body, a body over the limit) is answered and the
connection closed after it (``whole`` is False), since where the next request would start
is unknown. A chunked body past the limit is refused here (413), as nginx does: only the
Intake knows how much is still coming.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_HEX = re.compile(rb"^[0-9A-Fa-f]{1,16}$")


class Verdict(enum.Enum):
    """What the worker does with a connection after feeding its Intake."""

    MORE = "more"  # keep reading (within the deadline)
    READY = "ready"  # hand the request to a thread
    GONE = "gone"  # the client closed before a whole head: close quietly
    TOO_LARGE = "too_large"  # the head is over the limit: 431 and close
    BODY_TOO_LARGE = "body_too_large"  # chunks past the body limit: 413 and close


@dataclass(frozen=True)
class IntakeLimits:
    """Deadlines and sizes; ``from_environ`` reads the PROXY_CLIENT_* settings."""

    header_timeout: float = 5.0
    body_timeout: float = 10.0
    send_timeout: float = 30.0
    max_head: int = 64 * 1024
    max_body: int = 10 * 1024 * 1024
    max_pending: int = 256
    max_buffered: int = 64 * 1024 * 1024

    @classmethod
    def from_environ(cls, env: Mapping[str, str] = os.environ) -> IntakeLimits:
        """Read the limits; a bad value is one error naming the variable and the value."""
        names = {
            "header_timeout": "PROXY_CLIENT_HEADER_TIMEOUT",
            "body_timeout": "PROXY_CLIENT_BODY_TIMEOUT",
            "send_timeout": "PROXY_CLIENT_SEND_TIMEOUT",
            "max_body": "PROXY_MAX_BODY_BYTES",
            "max_pending": "PROXY_MAX_PENDING_CONNECTIONS",
            "max_buffered": "PROXY_INTAKE_MAX_BYTES",
        }
        values: dict[str, Any] = {}  # each of its field's type: float for timeouts, else int
        for field, name in names.items():
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            kind = float if field.endswith("timeout") else int
            try:
                value = kind(raw)
            except ValueError:
                value = 0
            if value <= 0:
                raise ValueError(f"{name} must be a positive number, got {raw!r}")
            values[field] = value
        return cls(**values)


class Intake:
    """The bytes of one connection's next request, and whether they are whole yet."""

    def __init__(self, limits: IntakeLimits) -> None:
        self.limits = limits
        self.buffer = bytearray()
        self.taken = 0  # bytes the parser has taken with recv()
        self.begin(b"", 0.0)

    def begin(self, pending: bytes, now: float) -> Verdict:
        """Start on the next request, with bytes already read (pipelined) if any."""
        self.buffer = bytearray(pending)
        self.taken = 0
        self.deadline = now + self.limits.header_timeout
        self.head_end: int | None = None
        self.needed: int | None = None  # total bytes of the request, once known
        self.chunk_at: int | None = None  # chunked: where the next chunk-size line starts
        self.decoded = 0
        self.whole = True
        self.expects_continue = False
        self.continue_sent = False
        self.request_line = ""
        return self._check(now) if self.buffer else Verdict.MORE

    @property
    def received(self) -> int:
        """Return how many bytes of this request have arrived."""
        return len(self.buffer)

    @property
    def in_body(self) -> bool:
        return self.head_end is not None

    def feed(self, data: bytes, now: float) -> Verdict:
        """Add bytes read from the socket; ``b""`` is the client's EOF."""
        if not data:
            if self.in_body:  # the body ends short: the application answers 400, then close
                self.whole = False
                return Verdict.READY
            return Verdict.GONE
        self.buffer += data
        return self._check(now)

    def recv(self, size: int) -> bytes:
        """Give gunicorn's parser up to ``size`` buffered bytes; ``b""`` past the end (EOF)."""
        data = bytes(self.buffer[self.taken: self.taken + size])
        self.taken += len(data)
        return data

    def rest(self) -> bytes:
        """Return the bytes nobody took (the start of a pipelined request)."""
        return bytes(self.buffer[self.taken:])

    def _check(self, now: float) -> Verdict:
        if self.head_end is None:
            start = len(self.buffer) - len(self.buffer.lstrip(b"\r\n"))
            end = self.buffer.find(b"\r\n\r\n", start)
            if end < 0:
                if b"\n\n" in self.buffer[start:]:  # bare LF: gunicorn's parser refuses it
                    return self._hand_over_now()
                return Verdict.TOO_LARGE if len(self.buffer) > self.limits.max_head \
                    else Verdict.MORE
            if end + 4 > self.limits.max_head:
                return Verdict.TOO_LARGE
            self.head_end = end + 4
            self.deadline = now + self.limits.body_timeout
            if not self._frame(bytes(self.buffer[start:end])):
                return self._hand_over_now()
        if self.chunk_at is not None and not self._scan_chunks():
            if self.decoded > self.limits.max_body:
                return Verdict.BODY_TOO_LARGE
            return self._hand_over_now()
        if self.needed is not None and len(self.buffer) >= self.needed:
            return Verdict.READY
        return Verdict.MORE

    def _hand_over_now(self) -> Verdict:
        """Let gunicorn's parser answer what the Intake will not wait for; close after."""
        self.whole = False
        return Verdict.READY

    def _frame(self, head: bytes) -> bool:
        """Find the body's framing; False when it is ambiguous or over the limit."""
        lines = head.split(b"\r\n")
        self.request_line = lines[0].decode("latin-1")[:200]
        lengths, codings, expect = [], [], []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or name != name.strip() or not name:
                return False
            key = name.lower()
            if key == b"content-length":
                lengths.append(value.strip())
            elif key == b"transfer-encoding":
                codings += [c.strip().lower() for c in value.split(b",")]
            elif key == b"expect":
                expect.append(value.strip().lower())
        if expect:
            if expect != [b"100-continue"]:
                return False  # gunicorn answers 417
            self.expects_continue = self.request_line.endswith("HTTP/1.1")
        assert self.head_end is not None
        if codings:
            if lengths or codings[-1] != b"chunked" or codings.count(b"chunked") > 1:
                return False
            self.chunk_at = self.head_end
            return True
        if len(lengths) > 1 or (lengths and not lengths[0].isdigit()):
            return False
        length = int(lengths[0]) if lengths else 0
        if length > self.limits.max_body:
            return False  # the application answers 413 from the header alone
        self.needed = self.head_end + length
        return True

    def _scan_chunks(self) -> bool:
        """Follow the chunks that have arrived; False on malformed framing or over the limit."""
        buffer = self.buffer
        while self.chunk_at is not None:
            line_end = buffer.find(b"\r\n", self.chunk_at)
            if line_end < 0:
                return len(buffer) - self.chunk_at <= 1024
            size_text = bytes(buffer[self.chunk_at:line_end]).split(b";", 1)[0].strip()
            if not _HEX.match(size_text):
                return False
            size = int(size_text, 16)
            if size == 0:
                trailers = buffer.find(b"\r\n", line_end + 2)
                if buffer[line_end + 2: line_end + 4] != b"\r\n":
                    trailers = buffer.find(b"\r\n\r\n", line_end + 2)
                    if trailers < 0:
                        return len(buffer) - line_end <= self.limits.max_head
                    trailers += 2
                self.needed = trailers + 2
                self.chunk_at = None
                return True
            if self.decoded + size > self.limits.max_body:
                self.decoded += size
                return False
            data_end = line_end + 2 + size
            if len(buffer) < data_end + 2:
                return True
            if buffer[data_end: data_end + 2] != b"\r\n":
                return False
            self.decoded += size
            self.chunk_at = data_end + 2
        return True
