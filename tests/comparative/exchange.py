"""One raw HTTP exchange with a server: exact bytes out, exact bytes back.

http.client sends the path exactly as written (``%ZZ`` stays ``%ZZ``), which httpx would not.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Reply:
    """What one side answered."""

    status: int
    headers: dict[str, str]
    body: bytes
    reason: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Request:
    """``headers`` are sent in order, then ``header_lines`` (names may repeat there)."""

    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    header_lines: list[tuple[str, str]] = field(default_factory=list)


def send(base_url: str, request: Request, timeout: float = 15.0) -> Reply:
    """Send ``request`` to the server at ``base_url`` on a fresh connection."""
    netloc = urlsplit(base_url).netloc
    host, port = netloc.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        # Host is written here: http.client would take it from an absolute target.
        connection.putrequest(request.method, request.path, skip_host=True,
                              skip_accept_encoding=True)
        headers = {"Host": netloc, **request.headers}
        if request.body is not None and "Content-Length" not in headers:
            headers["Content-Length"] = str(len(request.body))
        for name, value in [*headers.items(), *request.header_lines]:
            connection.putheader(name, value)
        connection.endheaders(request.body)
        response = connection.getresponse()
        body = response.read()
        merged: dict[str, str] = {}
        for name, value in response.getheaders():
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        return Reply(response.status, merged, body, response.reason)
    finally:
        connection.close()
