"""HTTP/1.1 spoken byte by byte over plain sockets, as a hostile client would.

No client library in between: what is sent is exactly the bytes given (short bodies, bad
chunks, half a header block), and what comes back is parsed just enough to check it.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RawResponse:
    """One response as read off the socket: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    """Open a TCP connection to 127.0.0.1:``port``."""
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_response(sock: socket.socket, timeout: float = 5.0) -> RawResponse | None:
    """Read one response and nothing after it; None if no whole head came in time.

    The head is read byte by byte so that a following response (pipelining, an interim
    ``100 Continue``) stays on the socket for the next call.
    """
    deadline = time.monotonic() + timeout
    data = b""
    while not data.endswith(b"\r\n\r\n"):
        byte = _recv(sock, deadline, 1)
        if not byte:
            return None
        data += byte
    lines = data.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if status < 200 or status in (204, 304):
        return RawResponse(status, headers)
    if "chunked" in headers.get("transfer-encoding", ""):
        return RawResponse(status, headers, _chunked_body(sock, deadline))
    length = int(headers["content-length"]) if "content-length" in headers else None
    return RawResponse(status, headers, _exactly(sock, deadline, length))


def _exactly(sock: socket.socket, deadline: float, length: int | None) -> bytes:
    """Read ``length`` bytes (None: until the connection closes)."""
    body = b""
    while length is None or len(body) < length:
        chunk = _recv(sock, deadline, 65536 if length is None else length - len(body))
        if not chunk:
            break
        body += chunk
    return body


def _line(sock: socket.socket, deadline: float) -> bytes:
    line = b""
    while not line.endswith(b"\r\n"):
        byte = _recv(sock, deadline, 1)
        if not byte:
            break
        line += byte
    return line


def _chunked_body(sock: socket.socket, deadline: float) -> bytes:
    """Read a chunked body up to its last chunk and trailers, and nothing after it."""
    body = b""
    while size := int(_line(sock, deadline).split(b";")[0].strip() or b"0", 16):
        body += _exactly(sock, deadline, size)
        _line(sock, deadline)
    while _line(sock, deadline) not in (b"\r\n", b""):
        pass
    return body


def _recv(sock: socket.socket, deadline: float, size: int) -> bytes:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return b""
    sock.settimeout(remaining)
    try:
        return sock.recv(size)
    except (TimeoutError, ConnectionError):
        return b""


def send(port: int, data: bytes, *, then: str = "read", timeout: float = 5.0
         ) -> RawResponse | None:
    """Send ``data`` on a new connection, then ``read`` the answer, ``shut`` the write side
    first (the client's EOF) and read, or ``reset`` the connection (an abort, no answer)."""
    with connect(port, timeout) as sock:
        sock.sendall(data)
        if then == "reset":
            time.sleep(0.2)  # let the proxy start reading, then abort under it
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return None
        if then == "shut":
            sock.shutdown(socket.SHUT_WR)
        return read_response(sock, timeout)


def request(method: str, path: str, headers: dict[str, str] | None = None,
            body: bytes = b"", *, length: int | None = None) -> bytes:
    """Build a request; ``length`` declares a Content-Length other than the body's."""
    lines = [f"{method} {path} HTTP/1.1", "Host: strangler.test"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if length is not None or body:
        lines.append(f"Content-Length: {len(body) if length is None else length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
