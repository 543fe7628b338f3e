"""The proxy's gunicorn worker: gthread, with each request gathered whole before a thread sees it.

``worker_class = "proxy.worker.IntakeWorker"`` (deploy/gunicorn.conf.py). gunicorn's gthread
worker waits for a connection's first byte in its event loop, then gives the connection to a
thread, which blocks reading the rest of the head and the body: ~120 clients sending half a
header took every thread of a 4 x 16 proxy. Here the event loop reads the head and the body
into an Intake (proxy.intake) under deadlines, and a thread gets the connection only once its
request is whole; it parses it from memory and only writes to the socket (with a send
timeout). So a slow client costs a socket and its buffered bytes, never a thread:

- ``PROXY_CLIENT_HEADER_TIMEOUT`` (5 s): from the connection (or, kept alive, its next first
  byte) to the end of the head; then ``PROXY_CLIENT_BODY_TIMEOUT`` (10 s) for the whole
  body. Past either: 408 and close (counted, logged).
- ``PROXY_MAX_PENDING_CONNECTIONS`` (256 per worker) connections may be gathering a request
  and ``PROXY_INTAKE_MAX_BYTES`` (64 MiB per worker) may be buffered; past either, the oldest
  pending connection is closed (real clients send a request in milliseconds, so the oldest is
  the slowest). When the worker's connections reach ``worker_connections``, the oldest idle
  kept-alive connection is closed rather than new connections left in the backlog.
- ``PROXY_CLIENT_SEND_TIMEOUT`` (30 s): a client that stops reading its response is cut.
- Closing after ``Connection: close`` lingers in the event loop, not in a blocking call.

TLS and HTTP/2 are nginx's job in front (proxy/edge_routes.py); this worker refuses
both.
"""

from __future__ import annotations

import errno
import json
import math
import selectors
import socket
import time
import uuid
from functools import partial
from typing import Any

from gunicorn.errors import ConfigError
from gunicorn.http.parser import RequestParser
from gunicorn.workers.gthread import TConn, ThreadWorker

from proxy import metrics
from proxy.access_log import log_event
from proxy.intake import Intake, IntakeLimits, Verdict

LINGER_SECONDS = 2.0


class IntakeWorker(ThreadWorker):
    """gthread whose event loop gathers whole requests (head and body) under deadlines."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = IntakeLimits.from_environ()
        self.pending: dict[TConn, None] = {}  # gathering a request, oldest first
        self.buffered = 0
        self.lingering: dict[socket.socket, float] = {}  # closing: socket -> deadline
        self.next_deadline = math.inf  # no pending or lingering deadline comes before it

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        super().check_config(cfg, log)
        if cfg.is_ssl or "h2" in cfg.http_protocols:
            raise ConfigError("proxy.worker.IntakeWorker speaks plain HTTP/1.1: terminate TLS "
                              "and HTTP/2 in nginx (proxy/edge_routes.py)")
        IntakeLimits.from_environ()  # a bad setting stops the start, naming it

    # Connections arrive, or come back from keep-alive: gather their next request.

    def accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                return
            raise
        self.nr_conns += 1
        self._make_room()
        self._gather(TConn(self.cfg, client, address, listener.getsockname()), b"")

    def on_client_socket_readable(self, conn: TConn, client: socket.socket) -> None:
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._gather(conn, b"")

    def _gather(self, conn: TConn, pending: bytes) -> None:
        if getattr(conn, "intake", None) is None:
            conn.intake = Intake(self.limits)
            conn.parser = RequestParser(self.cfg, conn.intake, conn.client)
        conn.sock.setblocking(False)
        verdict = conn.intake.begin(pending, time.monotonic())
        if verdict is Verdict.READY:
            self._hand_over(conn)
            return
        self._shed(self.limits.max_pending - 1)
        self.pending[conn] = None
        self.buffered += conn.intake.received
        self.next_deadline = min(self.next_deadline, conn.intake.deadline)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))
        metrics.PENDING_CONNECTIONS.set(len(self.pending))

    def _readable(self, conn: TConn, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        self.buffered += len(data)
        verdict = conn.intake.feed(data, time.monotonic())
        if verdict is Verdict.MORE:
            if conn.intake.expects_continue and not conn.intake.continue_sent:
                conn.intake.continue_sent = True
                self._send_quietly(sock, b"HTTP/1.1 100 Continue\r\n\r\n")
            if self.buffered > self.limits.max_buffered:
                self._shed(len(self.pending) - 1, reason="memory")
            return
        self._stop_gathering(conn)
        if verdict is Verdict.READY:
            self._hand_over(conn)
        elif verdict is Verdict.TOO_LARGE:
            self._refuse(conn, 431, "request head too large", "head_too_large")
        elif verdict is Verdict.BODY_TOO_LARGE:
            self._refuse(conn, 413, f"request body over {self.limits.max_body} bytes",
                         "body_too_large")
        else:
            self._close(conn)

    def _stop_gathering(self, conn: TConn) -> None:
        if self.pending.pop(conn, "gone") == "gone":
            return
        self.buffered -= conn.intake.received
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        metrics.PENDING_CONNECTIONS.set(len(self.pending))

    def _hand_over(self, conn: TConn) -> None:
        conn.data_ready = True  # gthread's own wait for a first byte is not needed
        self.enqueue_req(conn)

    # Deadlines, and room for new connections.

    def murder_keepalived(self, force: bool = False) -> None:
        super().murder_keepalived(force)
        now = time.monotonic()
        if now < self.next_deadline and not force:
            return
        for conn in [c for c in self.pending if force or c.intake.deadline <= now]:
            self._stop_gathering(conn)
            if force or not conn.intake.received:
                self._close(conn)  # an idle connection that never sent a byte
            else:
                phase = "body" if conn.intake.in_body else "head"
                metrics.CLIENT_TIMEOUTS.labels(phase).inc()
                self._refuse(conn, 408, f"request {phase} not received in time",
                             f"client_{phase}_timeout")
        for sock, deadline in list(self.lingering.items()):
            if force or deadline <= now:
                self._end_linger(sock)
        self.next_deadline = min([c.intake.deadline for c in self.pending]
                                 + list(self.lingering.values()), default=math.inf)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        timeout = max(0.0, min(timeout, self.next_deadline - time.monotonic()))
        super().wait_for_and_dispatch_events(timeout)

    def _make_room(self) -> None:
        """Keep below worker_connections: close the oldest idle kept-alive connection."""
        while self.nr_conns > self.worker_connections - self.cfg.threads and \
                self.keepalived_conns:
            conn = self.keepalived_conns.popleft()
            try:
                self.poller.unregister(conn.sock)
            except (KeyError, ValueError, OSError):
                pass
            metrics.CONNECTIONS_SHED.labels("idle").inc()
            self.nr_conns -= 1
            conn.close()
        if self.nr_conns > self.worker_connections - self.cfg.threads:
            self._shed(len(self.pending) - 1)

    def _shed(self, keep: int, reason: str = "pending") -> None:
        """Close the oldest pending connections until at most ``keep`` remain."""
        while len(self.pending) > max(keep, 0):
            oldest = next(iter(self.pending))
            self._stop_gathering(oldest)
            metrics.CONNECTIONS_SHED.labels(reason).inc()
            log_event("connection_shed", reason=reason, peer=_peer(oldest),
                      received=oldest.intake.received)
            self._close(oldest)

    # Answers the worker gives itself, and closing.

    def _refuse(self, conn: TConn, status: int, message: str, kind: str) -> None:
        rid = uuid.uuid4().hex
        body = json.dumps({"errors": {"proxy": [message]}, "requestId": rid}).encode()
        reason = {408: "Request Timeout", 413: "Content Too Large",
                  431: "Request Header Fields Too Large"}[status]
        head = (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nX-Request-ID: {rid}\r\nConnection: close\r\n"
                f"\r\n")
        log_event(kind, request_id=rid, status=status, peer=_peer(conn),
                  request=conn.intake.request_line, received=conn.intake.received)
        self._send_quietly(conn.sock, head.encode() + body)
        self._close(conn)

    @staticmethod
    def _send_quietly(sock: socket.socket, data: bytes) -> None:
        try:
            sock.send(data)  # small, non-blocking, best effort: the client may be gone
        except OSError:
            pass

    def _close(self, conn: TConn) -> None:
        self.nr_conns -= 1
        conn.close()

    def finish_request(self, conn: TConn, fs: Any) -> None:
        """Gather the next request of a kept-alive connection; linger on the others."""
        try:
            keep = bool(fs.result()) if not fs.cancelled() else False
        except Exception:
            keep = False
        intake = getattr(conn, "intake", None)
        if keep and self.alive and intake is not None and intake.whole:
            pipelined = conn.parser.unreader.take_buffered() + intake.rest()
            if pipelined:
                self._gather(conn, pipelined)
                return
            conn.sock.setblocking(False)
            conn.set_timeout()
            self.keepalived_conns.append(conn)
            self.poller.register(conn.sock, selectors.EVENT_READ,
                                 partial(self.on_client_socket_readable, conn))
            return
        self._linger(conn)

    def _linger(self, conn: TConn) -> None:
        """Close as RFC 9112 9.6 asks (FIN, then drain), without blocking the event loop."""
        sock = conn.sock
        try:
            sock.setblocking(False)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        self.lingering[sock] = time.monotonic() + LINGER_SECONDS
        self.next_deadline = min(self.next_deadline, self.lingering[sock])
        self.poller.register(sock, selectors.EVENT_READ, self._drain)

    def _drain(self, sock: socket.socket) -> None:
        try:
            if sock.recv(65536):
                return
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            pass
        self._end_linger(sock)

    def _end_linger(self, sock: socket.socket) -> None:
        self.lingering.pop(sock, None)
        try:
            self.poller.unregister(sock)
        except (KeyError, ValueError, OSError):
            pass
        self.nr_conns -= 1
        try:
            sock.close()
        except OSError:
            pass

    # In a thread: the request is whole in memory; only the response touches the socket.

    def handle_request(self, req: Any, conn: TConn) -> bool:
        if conn.intake.continue_sent:
            req._expected_100_continue = False  # the event loop sent "100 Continue" already
        conn.sock.settimeout(self.limits.send_timeout)
        try:
            return super().handle_request(req, conn)
        except TimeoutError:
            metrics.CLIENT_TIMEOUTS.labels("send").inc()
            log_event("client_send_timeout", peer=_peer(conn))
            return False


def _peer(conn: TConn) -> str:
    client = conn.client
    return client[0] if isinstance(client, tuple) else str(client)
