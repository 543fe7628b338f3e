"""The pooled urllib3 client to legacy: one per worker, created after fork.

A pooled connection is reused only when the request went out whole and its response was
read to the end: anything else (a body that failed or stopped early, a response left
unread, an upstream that answered before the body was sent) closes it, so bytes of one
request can never be read by legacy as part of another (request smuggling, desync).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import urllib3
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    EmptyPoolError,
    HTTPError,
    LocationValueError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util import SKIP_HEADER, parse_url

if TYPE_CHECKING:
    from urllib3._base_connection import BaseHTTPConnection

from proxy.body import ShortBody
from proxy.schema import Timeouts
from proxy.upstream import CHUNK, UpstreamError, UpstreamResponse
from shadow.settings import DEFAULTS

_SPENT = "_strangler_spent"  # set on a connection that must not carry another request
_IDLE_SINCE = "_strangler_idle_since"
# Legacy (Node) closes a kept-alive connection after 5 s idle; one picked from the pool just
# as it does so fails the request (502). Connections idle longer than this are reopened
# (PROXY_LEGACY_IDLE_SECONDS, declared in shadow/settings.py).
IDLE_SECONDS: float = DEFAULTS.legacy_idle_seconds


class _GuardedPool(HTTPConnectionPool):
    """A pool that closes a connection marked as spent, or idle for too long."""

    idle_seconds = IDLE_SECONDS

    def _put_conn(self, conn: BaseHTTPConnection | None) -> None:
        if conn is not None:
            if getattr(conn, _SPENT, False):
                conn.close()  # a closed connection reconnects when it is next taken
                setattr(conn, _SPENT, False)
            setattr(conn, _IDLE_SINCE, time.monotonic())
        super()._put_conn(conn)

    def _get_conn(self, timeout: float | None = None) -> BaseHTTPConnection:
        conn = super()._get_conn(timeout)
        idle_since = getattr(conn, _IDLE_SINCE, None)
        if idle_since is not None and time.monotonic() - idle_since > self.idle_seconds:
            conn.close()  # the upstream may be closing it right now: open a new one
        return conn


class _GuardedHTTPSPool(_GuardedPool, HTTPSConnectionPool):
    """The same over TLS."""


class SentBody:
    """A request body that knows whether it was sent whole (every chunk, the declared length)."""

    def __init__(self, chunks: Iterable[bytes], length: int | None) -> None:
        self._chunks = chunks
        self._length = length
        self.whole = False

    def __iter__(self) -> Iterator[bytes]:
        sent = 0
        for chunk in self._chunks:
            sent += len(chunk)
            yield chunk
        if self._length is not None and sent != self._length:
            raise ShortBody(f"request body ended after {sent} of {self._length} bytes")
        self.whole = True


class Urllib3LegacyClient:
    """Send requests to legacy: no redirects followed, no retries, no cookie jar, no env proxy."""

    def __init__(self, maxsize: int = 16, idle_seconds: float = IDLE_SECONDS) -> None:
        self.maxsize = maxsize
        self.idle_seconds = idle_seconds
        self._pools: dict[str, urllib3.HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def _pool(self, base_url: str) -> urllib3.HTTPConnectionPool:
        pool = self._pools.get(base_url)
        if pool is None:
            with self._lock:
                pool = (self._pools.get(base_url)
                        or _new_pool(base_url, self.maxsize, self.idle_seconds))
                self._pools[base_url] = pool
        return pool

    def send(
        self,
        base_url: str,
        method: str,
        target: str,
        headers: dict[str, str],
        body: Iterable[bytes] | None,
        timeouts: Timeouts,
    ) -> _Urllib3Response:
        headers.setdefault("user-agent", SKIP_HEADER)
        headers.setdefault("accept-encoding", SKIP_HEADER)
        length = headers.get("content-length")
        sent = None if body is None else SentBody(body, int(length) if length else None)
        try:
            response = self._pool(base_url).urlopen(
                method, target, body=sent, headers=headers, retries=False, redirect=False,
                assert_same_host=False, preload_content=False, decode_content=False,
                timeout=urllib3.Timeout(connect=timeouts.connect, read=timeouts.read),
                # urllib3 annotates int but passes it on to queue.get, which takes seconds
                pool_timeout=timeouts.pool,  # type: ignore[arg-type]
                release_conn=False,
                chunked=body is not None and "content-length" not in headers,
            )
        except NewConnectionError as error:  # a subclass of ConnectTimeoutError: first
            raise UpstreamError("connect", str(error)) from None
        except (ConnectTimeoutError, ReadTimeoutError) as error:
            raise UpstreamError("timeout", str(error)) from None
        except EmptyPoolError as error:
            raise UpstreamError("pool", str(error)) from None
        except (HTTPError, OSError) as error:
            raise UpstreamError("protocol", str(error)) from None
        if sent is not None and not sent.whole and response.connection is not None:
            # urllib3 reads a response that came before the body was all sent (a broken
            # pipe): that response is answered, but the connection carries no other request.
            setattr(response.connection, _SPENT, True)
        assert isinstance(response, urllib3.HTTPResponse)  # what urlopen builds
        return _Urllib3Response(response)


def _new_pool(base_url: str, maxsize: int, idle_seconds: float) -> HTTPConnectionPool:
    url = parse_url(base_url)
    pool_class = _GuardedHTTPSPool if url.scheme == "https" else _GuardedPool
    if not url.host:
        raise LocationValueError("No host specified.")  # what the pool itself would raise
    pool = pool_class(url.host, url.port, maxsize=maxsize, block=True, retries=False)
    pool.idle_seconds = idle_seconds
    return pool


class _Urllib3Response(UpstreamResponse):
    def __init__(self, response: urllib3.HTTPResponse) -> None:
        self._response = response
        super().__init__(
            response.status, response.reason or "", list(response.headers.items()),
            self._chunks(), self._close,
        )

    def _chunks(self) -> Iterator[bytes]:
        try:
            yield from self._response.stream(CHUNK, decode_content=False)
        except ReadTimeoutError as error:
            raise UpstreamError("timeout", str(error)) from None
        except (HTTPError, OSError) as error:
            raise UpstreamError("protocol", str(error)) from None

    def _close(self) -> None:
        """Return the connection to the pool; one left mid-body is closed, not reused."""
        if not self._response.isclosed():
            self._response.close()
        self._response.release_conn()
