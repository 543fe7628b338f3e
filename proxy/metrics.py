"""Prometheus metrics; under gunicorn, multiprocess mode (PROMETHEUS_MULTIPROC_DIR).

Labels are route templates ("GET /api/articles/:slug" or "unmatched"), never raw paths, and
methods from a fixed set (``method_label``). The route table's series are created at zero
when it loads (proxy.route_series), so that Prometheus sees every first increment.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

from proxy.schema import METHODS

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

REQUESTS = Counter(
    "strangler_proxy_requests_total", "Requests answered by the proxy.",
    ["route", "method", "status_class", "side"],
)
REQUEST_SECONDS = Histogram(
    "strangler_proxy_request_duration_seconds", "Whole request, until the body is sent.",
    ["route", "side"], buckets=_BUCKETS,
)
UPSTREAM_SECONDS = Histogram(
    "strangler_proxy_upstream_duration_seconds", "Upstream call, until its response head.",
    ["route", "side"], buckets=_BUCKETS,
)
UPSTREAM_ERRORS = Counter(
    "strangler_proxy_upstream_errors_total", "Upstream failures by kind.", ["side", "kind"],
)
RELOADS = Counter(
    "strangler_proxy_route_reloads_total",
    "routes.yaml versions applied, counted by each worker process (every worker loads each).",
)
RELOAD_FAILURES = Counter(
    "strangler_proxy_route_reload_failures_total",
    "routes.yaml versions rejected as invalid, counted by each worker process.",
)
ROUTES_REJECTED = Gauge(
    "strangler_proxy_routes_file_rejected",
    "1 while the routes.yaml on disk is rejected (the last good table stays in force), else 0.",
    multiprocess_mode="livemax",
)
ROUTE_STATE = Gauge(
    "strangler_route_state",
    "1 for each route's lifecycle state in the table in force (legacy, shadow, canary N,"
    " flask, flask alone); 0 for a state it has left.",
    ["route", "state"], multiprocess_mode="livemostrecent",
)
READY_PARITY = Gauge(
    "strangler_ready_parity_percent",
    "Parity a route needs to be ready to flip (STRANGLER_READY_PARITY); the alerts' threshold.",
    multiprocess_mode="livemostrecent",
)
PENDING_CONNECTIONS = Gauge(
    "strangler_proxy_pending_connections", "Connections whose request is still arriving.",
    multiprocess_mode="livesum",
)
CLIENT_TIMEOUTS = Counter(
    "strangler_proxy_client_timeouts_total", "Clients cut for being slow: sending the request "
    "head or body (408), or reading the response.", ["phase"],
)
CONNECTIONS_SHED = Counter(
    "strangler_proxy_connections_shed_total", "Connections closed to make room: the oldest "
    "pending (pending, memory) or idle kept-alive one.", ["reason"],
)
SIDE_IN_FLIGHT = Gauge(
    "strangler_proxy_side_in_flight", "Requests holding a slot of a side's bulkhead.", ["side"],
    multiprocess_mode="livesum",
)
BULKHEAD_REJECTED = Counter(
    "strangler_proxy_bulkhead_rejected_total", "Requests refused (503): their side's budget was "
    "spent.", ["side"],
)
IN_FLIGHT = Gauge(
    "strangler_proxy_requests_in_flight", "Requests being answered.", multiprocess_mode="livesum",
)
OTHER_METHOD = "OTHER"


def method_label(method: str) -> str:
    """Return the ``method`` label: a known HTTP method as sent, any other as OTHER."""
    return method if method in METHODS else OTHER_METHOD


def exposition(multiprocess_dir: str | None) -> tuple[bytes, str]:
    """Return the metrics page and its content type, merging every worker under gunicorn.

    ``multiprocess_dir`` is PROMETHEUS_MULTIPROC_DIR as the settings read it at start.
    """
    if multiprocess_dir:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(DEFAULT_REGISTRY), CONTENT_TYPE_LATEST
