"""The front door: match each request to a route and stream it to the side that serves it.

It sits in front of the proxy's Flask app as WSGI middleware: /health, /metrics and the
dashboard's prefix (STRANGLER_DASHBOARD_PREFIX) go to Flask; everything else is forwarded
without Flask's request machinery.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from http.client import responses
from typing import Any

from proxy import metrics
from proxy.access_log import log_request
from proxy.body import (
    ClientBodyError,
    LimitedInput,
    ObservedBody,
    declared_length,
    has_body,
    prefetched,
    request_chunks,
)
from proxy.bulkhead import Bulkhead
from proxy.capturing import Capture
from proxy.concurrency import track
from proxy.flask_side import backend_environ, exchange_environ
from proxy.headers import downstream_headers, request_id, upstream_headers
from proxy.mirror_sides import Sides
from proxy.mirroring import Shadow
from proxy.patterns import BadPath, canonical_segments, raw_path
from proxy.runtime import ProxyRuntime
from proxy.table import RouteDecision, RouteTable
from proxy.traffic import UNMATCHED, TrafficCounter, kind_of, unmatched_template
from proxy.upstream import UpstreamError
from shadow import Exchange

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
OWN_PATHS = ("/health", "/health/live", "/health/ready", "/metrics")


def exchange_of(
    environ: dict[str, Any], rid: str, decision: RouteDecision, target: str
) -> Exchange:
    """Return the request as one value: what either side is sent, now or again in shadow."""
    return Exchange(
        route=decision.compared_as, method=environ["REQUEST_METHOD"], request_id=rid,
        path=decision.path, target=target,
        headers=tuple(upstream_headers(environ, rid).items()),
        environ=exchange_environ(environ), control_side=decision.side, started=time.time(),
    )


class ProxyMiddleware:
    """Route every non-proxy-owned request to legacy or to the in-process Flask backend."""

    def __init__(self, own_app: WSGIApp, runtime: ProxyRuntime, *, own_prefix: str) -> None:
        self.own_app = own_app
        self.runtime = runtime
        self.own_prefix = own_prefix.rstrip("/") + "/"  # STRANGLER_DASHBOARD_PREFIX

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path in OWN_PATHS or path.startswith(self.own_prefix):
            return self.own_app(environ, start_response)
        self.runtime.ensure_started()
        handling = Handling(environ, start_response, self.runtime.traffic)
        metrics.IN_FLIGHT.inc()
        try:
            return self._forward(handling)
        except BaseException:
            handling.finish(None, 500, "")
            raise

    def _forward(self, ex: Handling) -> Iterable[bytes]:
        environ = ex.environ
        try:
            segments = canonical_segments(raw_path(environ))
        except BadPath as error:
            return ex.error(400, str(error))
        try:
            table = self.runtime.source.table
        except ValueError as error:
            return ex.error(503, f"no valid route table: {error}")
        decision = table.decide(environ["REQUEST_METHOD"], segments, environ)
        ex.decision = decision
        try:
            length = declared_length(environ)
        except ValueError:
            return ex.error(400, "malformed Content-Length")
        limit = self.runtime.max_body_bytes
        if length is not None and length > limit:
            return ex.error(413, f"request body over {limit} bytes")
        query = environ.get("QUERY_STRING")
        exchange = exchange_of(environ, ex.rid, decision, decision.path + ("?" + query if query
                                                                             else ""))
        writes = self.runtime.shadowing.writes
        exchange = track(writes, exchange, decision, segments)  # a write is registered until
        if exchange.write is not None:                          # it has answered (finish)
            ex.ended = functools.partial(writes.end, exchange.write)
        body = None
        shadow = None
        capture = None
        try:
            if has_body(environ):
                body = prefetched(request_chunks(environ["wsgi.input"], length, limit))
            if not ex.enter(self.runtime.bulkheads[decision.side]):
                return ex.error(503, f"{decision.side} is at its concurrency limit",
                                kind="bulkhead")
            experiment = table.experiment_for(decision)
            if experiment is not None:
                runtime = self.runtime
                sides = Sides(lambda: runtime.backend_app, runtime.client,
                              runtime.legacy_url(table), table.config.legacy.timeouts,
                              traffic=runtime.traffic)
                shadow = runtime.shadowing.plan(exchange, experiment, table.config.shadow, sides,
                                                table.version)
                if shadow is not None:
                    body = shadow.request_body(body)
                    shadow.before_control()  # dry-run writes only: the candidate runs first
            policy = table.capture_for(decision)
            if policy is not None:  # routes.yaml's capture: (proxy.capturing)
                capture = self.runtime.capturing.plan(exchange, policy, table.version or None)
                if capture is not None:
                    body = capture.request_body(body)
        except ClientBodyError as error:
            return ex.error(error.status, str(error))
        if decision.side == "flask":
            return self._flask(ex, exchange, body, shadow, capture)
        return self._legacy(ex, exchange, body, table, shadow, capture)

    def _legacy(
        self, ex: Handling, exchange: Exchange, body: Iterator[bytes] | None,
        table: RouteTable, shadow: Shadow | None = None, capture: Capture | None = None,
    ) -> Iterable[bytes]:
        started = time.perf_counter()
        ex.sent_to = "legacy"
        try:
            response = self.runtime.client.send(
                self.runtime.legacy_url(table), exchange.method, exchange.target,
                dict(exchange.headers), body, table.config.legacy.timeouts,
            )
        except ClientBodyError as error:  # the connection that carried part of it is closed
            return ex.error(error.status, str(error))
        except UpstreamError as error:
            metrics.UPSTREAM_ERRORS.labels("legacy", error.kind).inc()
            ex.upstream_seconds = time.perf_counter() - started
            message = "legacy timed out" if error.status == 504 else "legacy unreachable"
            return ex.error(error.status, message, kind=error.kind)
        ex.upstream_seconds = time.perf_counter() - started
        reason = response.reason or responses.get(response.status, "Unknown")
        ex.start_response(
            f"{response.status} {reason}", downstream_headers(response.headers, ex.rid)
        )
        ex.status = response.status
        chunks: Iterable[bytes] = response.chunks
        finish: Callable[[BaseException | None], None] = ex.finish_stream
        if shadow is not None:
            chunks, finish = shadow.observe(response.status, response.headers, chunks, finish,
                                            started, reason)
        if capture is not None:
            chunks, finish = capture.observe(response.status, response.headers, chunks, finish,
                                             started, reason)
        return ObservedBody(chunks, response.close, finish)

    def _flask(
        self, ex: Handling, exchange: Exchange, body: Iterator[bytes] | None,
        shadow: Shadow | None = None, capture: Capture | None = None,
    ) -> Iterable[bytes]:
        environ = backend_environ(ex.environ, exchange, body)
        started = time.perf_counter()
        ex.sent_to = "flask"
        head: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            ex.upstream_seconds = time.perf_counter() - started
            head[:] = [status, headers]
            return lambda data: None  # Flask never uses the write callable

        try:
            chunks = self.runtime.backend_app(environ, start_response)
        except ClientBodyError as error:  # a backend that lets exceptions propagate
            return ex.error(error.status, str(error))
        close = getattr(chunks, "close", lambda: None)
        failed: LimitedInput = environ["wsgi.input"]
        if failed.error is not None:  # the backend met a body the client did not send whole
            close()
            return ex.error(failed.error.status, str(failed.error))
        status, headers = head
        ex.status = int(status.split(" ", 1)[0])
        ex.start_response(status, downstream_headers(headers, ex.rid))
        finish: Callable[[BaseException | None], None] = ex.finish_stream
        if shadow is not None:
            chunks, finish = shadow.observe(ex.status, headers, chunks, finish, started,
                                            status.partition(" ")[2])
        if capture is not None:
            chunks, finish = capture.observe(ex.status, headers, chunks, finish, started,
                                             status.partition(" ")[2])
        return ObservedBody(chunks, close, finish)


class Handling:
    """One request's bookkeeping: id, decision, timings; it writes the log line and metrics."""

    def __init__(self, environ: dict[str, Any], start_response: StartResponse,
                 traffic: TrafficCounter | None = None) -> None:
        self.environ = environ
        self.start_response = start_response
        self.traffic = traffic
        self.rid = request_id(environ)
        self.started = time.perf_counter()
        self.decision: RouteDecision | None = None
        self.upstream_seconds: float | None = None
        self.status = 0
        self.sent_to = "proxy"  # the side the request was sent to; "proxy": answered here
        self._done = False
        self._bulkhead: Bulkhead | None = None
        self.ended: Callable[[], None] | None = None  # a write's end in the write registry

    def enter(self, bulkhead: Bulkhead) -> bool:
        """Take a slot of the serving side's budget, held until the request is recorded."""
        if not bulkhead.enter():
            return False
        self._bulkhead = bulkhead
        return True

    def error(self, status: int, message: str, *, kind: str = "") -> list[bytes]:
        """Answer with the one JSON error shape; it carries the request id."""
        body = json.dumps({"errors": {"proxy": [message]}, "requestId": self.rid}).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                   ("X-Request-ID", self.rid), ("Via", "1.1 strangler")]
        if status == 503:
            headers.append(("Retry-After", "1"))
        self.start_response(f"{status} {HTTPStatus(status).phrase}", headers)
        self.status = status
        self.finish(None, status, kind)
        return [body]

    def finish_stream(self, error: BaseException | None) -> None:
        self.finish(error, self.status, "")

    def finish(self, error: BaseException | None, status: int, kind: str) -> None:
        """Record the request once: metrics, then one JSON log line."""
        if self._done:
            return
        self._done = True
        if self.ended is not None:
            self.ended()
        if self._bulkhead is not None:
            self._bulkhead.leave()
        metrics.IN_FLIGHT.dec()
        total = time.perf_counter() - self.started
        decision = self.decision
        route = decision.template if decision else "unmatched"
        side = decision.side if decision else "none"
        method = self.environ.get("REQUEST_METHOD", "")
        if error is not None:
            kind = kind or (error.kind if isinstance(error, UpstreamError) else "aborted")
            if isinstance(error, UpstreamError):
                metrics.UPSTREAM_ERRORS.labels(side, error.kind).inc()
        metrics.REQUESTS.labels(route, metrics.method_label(method), f"{status // 100}xx",
                                side).inc()
        metrics.REQUEST_SECONDS.labels(route, side).observe(total)
        if self.upstream_seconds is not None:
            metrics.UPSTREAM_SECONDS.labels(route, side).observe(self.upstream_seconds)
        if self.traffic is not None:
            self.traffic.count(*self._counted_as(method), self.sent_to)
        log_request(
            request_id=self.rid, method=method, route=route, side=side, status=status,
            duration_ms=round(total * 1000, 3),
            upstream_ms=None if self.upstream_seconds is None
            else round(self.upstream_seconds * 1000, 3),
            error=kind or None,
        )

    def _counted_as(self, method: str) -> tuple[str, bool, str]:
        """Return the request's route (or unmatched template), matched, kind: proxy.traffic."""
        kind = kind_of(method, self.environ)
        decision = self.decision
        if decision is None:
            return UNMATCHED, False, kind
        if decision.route is None:
            return unmatched_template(method, decision.path), False, kind
        return decision.route.template, True, kind
