"""The httpx client to legacy, kept to measure against urllib3 (PROXY_HTTP_CLIENT=httpx).

It calls the transport directly: an httpx.Client would keep one cookie jar for every user
and read proxy settings from the environment.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import httpx

from proxy.schema import Timeouts
from proxy.upstream import UpstreamError, UpstreamResponse


class HttpxLegacyClient:
    """Send requests to legacy through one pooled httpx transport."""

    def __init__(self, maxsize: int = 16) -> None:
        limits = httpx.Limits(max_connections=maxsize, max_keepalive_connections=maxsize)
        self._transport = httpx.HTTPTransport(limits=limits, retries=0)

    def send(
        self,
        base_url: str,
        method: str,
        target: str,
        headers: dict[str, str],
        body: Iterable[bytes] | None,
        timeouts: Timeouts,
    ) -> UpstreamResponse:
        request = httpx.Request(
            method, base_url + target, headers=headers,
            content=iter(body) if body is not None else None,
            extensions={"timeout": {"connect": timeouts.connect, "read": timeouts.read,
                                    "write": timeouts.read, "pool": timeouts.pool}},
        )
        try:
            response = self._transport.handle_request(request)
        except httpx.PoolTimeout as error:
            raise UpstreamError("pool", str(error)) from None
        except httpx.TimeoutException as error:
            raise UpstreamError("timeout", str(error)) from None
        except httpx.ConnectError as error:
            raise UpstreamError("connect", str(error)) from None
        except httpx.TransportError as error:
            raise UpstreamError("protocol", str(error)) from None
        headers_out = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw]
        return UpstreamResponse(
            response.status_code, response.reason_phrase, headers_out,
            _chunks(response), response.close,
        )


def _chunks(response: httpx.Response) -> Iterator[bytes]:
    stream = response.stream  # raw bytes, still encoded; a sync client's is a SyncByteStream
    assert isinstance(stream, httpx.SyncByteStream)
    try:
        yield from stream
    except httpx.TimeoutException as error:
        raise UpstreamError("timeout", str(error)) from None
    except httpx.TransportError as error:
        raise UpstreamError("protocol", str(error)) from None
