"""The edge's requests in Prometheus: follow nginx's JSON access log, count as the proxy does.

Requests the edge sends straight to legacy never reach the proxy, so the proxy cannot count
them. nginx writes one JSON line a request (``log_format strangler_edge``, proxy/edge_routes.py)
carrying the proxy's labels for those requests (``route``: the template or ``unmatched``,
``side``: legacy); this exporter follows that file and keeps the proxy's own series for them
(``strangler_proxy_requests_total{route,method,status_class,side}`` and the two duration
histograms), on a /metrics of its own that Prometheus scrapes as one more target. Sums over
instances (``sum by (route, side)``) then cover every request, whichever way it went. Lines of
requests the edge passed to the proxy (``side: proxy``) are skipped: the proxy counts those.

Why a separate exporter rather than the proxy reading the log: the edge may run on another host
than any proxy, the proxy runs several workers (which one would read?), and an exporter that
dies loses nothing nginx wrote (it starts again at the end of the file, or at the start with
``--from-start``).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram

from proxy.metrics import _BUCKETS, method_label


@dataclass(frozen=True)
class EdgeRequest:
    """One request the edge sent to legacy itself, as its access log line says."""

    route: str
    method: str
    status: int
    seconds: float
    upstream_seconds: float | None


def parse(line: str) -> EdgeRequest | None:
    """Return the edge-served request of one log line (None: the proxy's, or not ours)."""
    try:
        fields = json.loads(line)
        if fields.get("side") != "legacy":
            return None
        upstream = str(fields.get("upstream_seconds", "")).split(",")[-1].strip()
        return EdgeRequest(str(fields["route"]), str(fields["method"]), int(fields["status"]),
                           float(fields["seconds"]),
                           float(upstream) if upstream not in ("", "-") else None)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


class EdgeMetrics:
    """The proxy's request series, for the requests the edge served (a registry of its own)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "strangler_proxy_requests_total", "Requests answered by the proxy.",
            ["route", "method", "status_class", "side"], registry=self.registry)
        self.seconds = Histogram(
            "strangler_proxy_request_duration_seconds", "Whole request, until the body is sent.",
            ["route", "side"], buckets=_BUCKETS, registry=self.registry)
        self.upstream = Histogram(
            "strangler_proxy_upstream_duration_seconds",
            "Upstream call, until its response head.", ["route", "side"], buckets=_BUCKETS,
            registry=self.registry)
        self.lines = Counter("strangler_edge_log_lines_total",
                             "Access log lines read, by whether the edge served them.",
                             ["served"], registry=self.registry)

    def count(self, line: str) -> None:
        request = parse(line)
        self.lines.labels("edge" if request else "proxy").inc()
        if request is None:
            return
        self.requests.labels(request.route, method_label(request.method),
                             f"{request.status // 100}xx", "legacy").inc()
        self.seconds.labels(request.route, "legacy").observe(request.seconds)
        if request.upstream_seconds is not None:
            self.upstream.labels(request.route, "legacy").observe(request.upstream_seconds)


def follow(path: Path, stop: threading.Event, *, from_start: bool = False,
           interval: float = 0.2) -> Iterator[str]:
    """Yield whole lines appended to ``path``, across rotation and truncation, until ``stop``."""
    handle = None
    inode = None
    partial = ""
    while not stop.is_set():
        if handle is None:
            try:
                handle = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
            except FileNotFoundError:
                stop.wait(interval)
                continue
            inode = os.fstat(handle.fileno()).st_ino
            if not from_start:
                handle.seek(0, os.SEEK_END)
            from_start = True  # a new file after rotation is read from its start
        chunk = handle.read(1 << 16)
        if chunk:
            partial += chunk
            *lines, partial = partial.split("\n")
            yield from lines
            continue
        try:
            st = os.stat(path)
            rotated = st.st_ino != inode or st.st_size < handle.tell()
        except FileNotFoundError:
            rotated = True
        if rotated:
            handle.close()
            handle, partial = None, ""
            continue
        stop.wait(interval)
    if handle is not None:
        handle.close()


def run(path: Path, metrics: EdgeMetrics, stop: threading.Event, *,
        from_start: bool = False) -> None:
    """Count every line of ``path`` into ``metrics`` until ``stop`` is set."""
    for line in follow(path, stop, from_start=from_start):
        metrics.count(line)
