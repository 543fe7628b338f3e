"""The pooled urllib3 client to legacy: one per worker, created after fork."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    EmptyPoolError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
)
from urllib3.util import SKIP_HEADER

from proxy.schema import Timeouts
from proxy.upstream import CHUNK, UpstreamError, UpstreamResponse


class Urllib3LegacyClient:
    """Send requests to legacy: no redirects followed, no retries, no cookie jar, no env proxy."""

    def __init__(self, maxsize: int = 16) -> None:
        self.maxsize = maxsize
        self._pools: dict[str, urllib3.HTTPConnectionPool] = {}
        self._lock = threading.Lock()

    def _pool(self, base_url: str) -> urllib3.HTTPConnectionPool:
        pool = self._pools.get(base_url)
        if pool is None:
            with self._lock:
                pool = self._pools.get(base_url) or urllib3.connection_from_url(
                    base_url, maxsize=self.maxsize, block=True, retries=False
                )
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
        try:
            response = self._pool(base_url).urlopen(
                method, target, body=body, headers=headers, retries=False, redirect=False,
                assert_same_host=False, preload_content=False, decode_content=False,
                timeout=urllib3.Timeout(connect=timeouts.connect, read=timeouts.read),
                pool_timeout=timeouts.pool, release_conn=False,
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
        return _Urllib3Response(response)


class _Urllib3Response(UpstreamResponse):
    def __init__(self, response: urllib3.BaseHTTPResponse) -> None:
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
