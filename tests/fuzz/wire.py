"""Requests as exact bytes on a fresh connection, and the reply as the server wrote it."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

from tests.comparative.exchange import Reply


@dataclass
class RawRequest:
    """One generated request: what goes on the wire, and the shapes it was built with.

    ``shapes`` name the generator's choices (``"fragment"``, ``"jwt:padded signature"``...);
    the comparison uses them to name the cause of a difference.
    """

    method: str
    target: str
    header_lines: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    shapes: frozenset[str] = frozenset()

    def encode(self, host: str) -> bytes:
        lines = [f"{self.method} {self.target} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.header_lines]
        names = {name.lower() for name, _ in self.header_lines}
        if self.body is not None and not names & {"content-length", "transfer-encoding"}:
            lines.append(f"Content-Length: {len(self.body)}")
        lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        return head + (self.body or b"")

    @property
    def writes(self) -> bool:
        """Whether the request could change the database (its method is not a read)."""
        return self.method not in ("GET", "HEAD", "OPTIONS")


def exchange(url: str, request: RawRequest, timeout: float = 30.0) -> Reply:
    """Send ``request`` to the server at ``url`` and return its reply (status 0: no reply)."""
    host, port = url.rsplit("//", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(request.encode(f"{host}:{port}"))
        received = bytearray()
        while chunk := connection.recv(65536):
            received += chunk
    return parse_reply(bytes(received), head_only=request.method == "HEAD")


def parse_reply(data: bytes, *, head_only: bool) -> Reply:
    """Parse an HTTP/1.1 response read until the server closed the connection."""
    head, separator, body = data.partition(b"\r\n\r\n")
    if not separator:
        return Reply(0, {}, data, "no reply")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    _, code, *reason = status_line.split(" ", 2)
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        key, value = name.strip().lower(), value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    if head_only:
        body = b""
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        body = _unchunk(body)
    return Reply(int(code), headers, body, reason[0] if reason else "")


def _unchunk(data: bytes) -> bytes:
    out = bytearray()
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out += data[:size]
        data = data[size + 2:]
    return bytes(out)
