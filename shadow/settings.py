"""Every setting of the tooling (proxy, shadow, dashboard, CLI, gunicorn, compose), declared once.

Each ``Setting`` names its environment variable, its type, its default and what it means, as
mitmproxy declares its options and microblog keeps one ``Config``. ``read()`` parses the
environment once, at process start (``proxy.create_app``, ``deploy/gunicorn.conf.py``, the
CLI), into a frozen ``ToolingSettings`` that is passed down: nothing on the request path reads
the environment. A bad value stops the start with one ``SettingError`` naming the variable.

Why here: ``shadow`` is the bottom of the tooling's dependency chain (proxy -> shadow, the
control plane -> proxy and shadow), so every tooling package can import this module without a
new edge, and ``shadow`` stays free of Flask and of the backend. The backend declares its own
settings in ``backend/settings.py``: it must stand alone once the tooling is deleted, so it
cannot import this module, and this module cannot import it (shadow knows nothing of the
backend). ``python -m tools.settings_doc`` writes both declarations into docs/settings.md.

An empty variable counts as unset. Compose-only variables (``COMPOSE``) are never read by
Python: they are declared so that docs/settings.md and deploy/.env.example name them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


class SettingError(ValueError):
    """A variable holds a value its setting cannot take; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    """One setting: the attribute it becomes, its variable, type, default and meaning."""

    name: str
    env: str
    kind: str  # the type, as docs/settings.md shows it
    parse: Callable[[str], Any]
    default: Any
    meaning: str
    read_by: str
    shown_default: str | None = None  # when the default is computed or not worth printing

    def value(self, env: Mapping[str, str]) -> Any:
        """Return the parsed value from ``env`` (the default when unset or empty)."""
        raw = env.get(self.env)
        if raw is None or raw == "":
            return self.default
        try:
            return self.parse(raw)
        except (TypeError, ValueError) as error:
            raise SettingError(f"{self.env} {error}, got {raw!r}") from None

    @property
    def default_text(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        return "unset" if self.default is None else str(self.default)


def text(raw: str) -> str:
    return raw


def whole(minimum: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"must be a whole number of at least {minimum}") from None
        if value < minimum:
            raise ValueError(f"must be a whole number of at least {minimum}")
        return value
    return parse


def number(minimum: float, *, inclusive: bool = False) -> Callable[[str], float]:
    if minimum == 0 and not inclusive:
        rule = "must be a positive number"
    else:
        rule = f"must be a number {'at least' if inclusive else 'more than'} {minimum:g}"

    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(rule) from None
        if value < minimum or (value == minimum and not inclusive) or value != value:
            raise ValueError(rule)
        return value
    return parse


def choice(*options: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return raw
    return parse


def url_prefix(raw: str) -> str:
    """Normalise a URL prefix to ``/name`` without a trailing slash; ``/`` is refused."""
    prefix = "/" + raw.strip("/")
    if prefix == "/":
        raise ValueError("must not be empty or '/'")
    return prefix


def _s(name: str, env: str, kind: str, parse: Callable[[str], Any], default: Any,
       meaning: str, read_by: str, **extra: Any) -> Setting:
    return Setting(name, env, kind, parse, default, meaning, read_by, **extra)


PROXY, GUNICORN, DASHBOARD, CLI = "proxy", "proxy's gunicorn", "dashboard", "CLI"
POSITIVE = "number > 0"

TOOLING: tuple[Setting, ...] = (
    _s("database_url", "DATABASE_URL", "URL", text, None,
       "the parity store of `parity ...` commands run without an app (the proxy and the "
       "`strangler` CLI use the backend's `DATABASE_URL`, with its default)",
       CLI, shown_default="unset: the command stops and asks for it"),
    _s("routes_file", "ROUTES_FILE", "path", text, str(REPO_ROOT / "routes.yaml"),
       "the route table", PROXY, shown_default="`<repo>/routes.yaml`"),
    _s("legacy_url", "LEGACY_URL", "URL", text, None,
       "legacy's base URL (overrides `legacy.url` of routes.yaml)", PROXY,
       shown_default="`legacy.url` of routes.yaml"),
    _s("max_body_bytes", "PROXY_MAX_BODY_BYTES", "integer >= 1", whole(1), 10 * MIB,
       "request body limit in bytes (413 beyond it); also nginx's `client_max_body_size` "
       "in the edge (`strangler edge nginx`, `python -m proxy.edge`), which takes the "
       "PROXY_CLIENT_*_TIMEOUT settings too", PROXY, shown_default="10485760 (10 MiB)"),
    _s("http_client", "PROXY_HTTP_CLIENT", "urllib3 | httpx", choice("urllib3", "httpx"),
       "urllib3", "the client to legacy; `httpx` only to compare (docs/benchmarks.md)", PROXY),
    _s("legacy_pool_size", "PROXY_LEGACY_POOL_SIZE", "integer >= 1", whole(1), 32,
       "kept-alive connections to legacy per worker", PROXY),
    _s("legacy_idle_seconds", "PROXY_LEGACY_IDLE_SECONDS", POSITIVE, number(0), 4.0,
       "a pooled connection to legacy idle longer than this is reopened (Node closes them "
       "after 5 s)", PROXY),
    _s("legacy_concurrency", "PROXY_LEGACY_CONCURRENCY", "integer >= 1", whole(1), None,
       "requests served by legacy at once per worker (bulkhead; docs/security.md)", PROXY,
       shown_default="half of `GUNICORN_THREADS`"),
    _s("flask_concurrency", "PROXY_FLASK_CONCURRENCY", "integer >= 1", whole(1), None,
       "requests served by the in-process backend at once per worker (bulkhead)", PROXY,
       shown_default="half of `GUNICORN_THREADS`"),
    _s("client_header_timeout", "PROXY_CLIENT_HEADER_TIMEOUT", POSITIVE, number(0), 5.0,
       "seconds from the connection (or a kept-alive connection's next first byte) to the end "
       "of the head; then 408 and close (proxy.worker's intake, docs/security.md)", PROXY),
    _s("client_body_timeout", "PROXY_CLIENT_BODY_TIMEOUT", POSITIVE, number(0), 10.0,
       "seconds for the whole body, from the end of the head; then 408 and close", PROXY),
    _s("client_send_timeout", "PROXY_CLIENT_SEND_TIMEOUT", POSITIVE, number(0), 30.0,
       "a client that stops reading its response for this many seconds is cut", PROXY),
    _s("max_pending_connections", "PROXY_MAX_PENDING_CONNECTIONS", "integer >= 1", whole(1),
       256, "connections per worker still sending a request; past it the oldest is closed", PROXY),
    _s("intake_max_bytes", "PROXY_INTAKE_MAX_BYTES", "integer >= 1", whole(1), 64 * MIB,
       "bytes per worker buffered for requests still arriving; past it the oldest pending "
       "connection is closed", PROXY,
       shown_default="67108864 (64 MiB)"),
    _s("forwarded_allow_ips", "FORWARDED_ALLOW_IPS", "comma-separated addresses or `*`", text,
       "", "peers whose X-Forwarded-* (gunicorn) and X-Real-IP (proxy) are trusted; none by "
       "default, as the proxy is the edge", PROXY, shown_default="none"),
    _s("shadow_max_body_bytes", "SHADOW_MAX_BODY_BYTES", "integer >= 1", whole(1), MIB,
       "request and control bodies teed for shadow comparison up to this; above it the "
       "comparison is `ignored`", PROXY, shown_default="1048576 (1 MiB)"),
    _s("traffic_flush_seconds", "STRANGLER_TRAFFIC_FLUSH_SECONDS", POSITIVE, number(0), 5.0,
       "each worker adds its requests per route (every request, by kind and side) to the "
       "store's `route_traffic` this often (docs/operations.md)", PROXY),
    _s("shadow_queue_url", "SHADOW_QUEUE_URL", "redis:// URL", text, None,
       "with it, reads are shadowed through a Redis Stream: the proxy only publishes sealed "
       "exchanges and `strangler shadow work` compares them (docs/shadow.md, \"Queued "
       "shadow\"); unset: the in-process Mirror", PROXY, shown_default="unset: in-process"),
    _s("shadow_queue_key", "SHADOW_QUEUE_KEY", "Fernet key", text, None,
       "seals the queued exchanges (authenticated encryption; required with "
       "`SHADOW_QUEUE_URL`, the same in proxies and workers); make one with `strangler shadow "
       "key`", PROXY, shown_default="unset (required with a queue)"),
    _s("shadow_queue_stream", "SHADOW_QUEUE_STREAM", "string", text, "strangler:shadow",
       "the stream's key (its consumer group is `workers`)", PROXY),
    _s("shadow_queue_maxlen", "SHADOW_QUEUE_MAXLEN", "integer >= 10", whole(10), 10_000,
       "the stream is trimmed (XADD MAXLEN ~) to about this many entries; at 90% of it "
       "undelivered the proxy stops publishing (`skipped_overload`)", PROXY),
    _s("shadow_queue_max_age", "SHADOW_QUEUE_MAX_AGE", POSITIVE, number(0), 30.0,
       "seconds: when the oldest undelivered exchange is older, the proxy stops publishing "
       "(`skipped_overload`) until the workers catch up", PROXY),
    _s("shadow_queue_timeout", "SHADOW_QUEUE_TIMEOUT", POSITIVE, number(0), 0.25,
       "seconds the proxy's publisher thread waits on Redis; past it the exchanges are "
       "`skipped` (\"queue unavailable\")", PROXY),
    _s("prometheus_multiproc_dir", "PROMETHEUS_MULTIPROC_DIR", "path", text, None,
       "prometheus_client's multiprocess directory; gunicorn.conf.py makes a fresh temporary "
       "one when unset and wipes it at start", PROXY, shown_default="a fresh temporary directory"),
    _s("dashboard_prefix", "STRANGLER_DASHBOARD_PREFIX", "URL path", url_prefix, "/_strangler",
       "where the dashboard lives; nothing under it is forwarded", DASHBOARD),
    _s("secret_key", "STRANGLER_SECRET_KEY", "string", text, None,
       "signs the session cookie and CSRF tokens; set it in production, the same on every "
       "instance", DASHBOARD, shown_default="generated once into `instance/secret_key`"),
    _s("ready_parity", "STRANGLER_READY_PARITY", "percent", number(0, inclusive=True), 99.9,
       "ready to flip: parity (%) at least this...", DASHBOARD),
    _s("ready_comparisons", "STRANGLER_READY_COMPARISONS", "integer >= 0", whole(0), 100,
       "...over at least this many comparisons, and no candidate errors or timeouts",
       DASHBOARD),
    _s("ready_latency_ratio", "STRANGLER_READY_LATENCY_RATIO", "number > 0", number(0), 1.5,
       "...and the candidate's p99 latency at most this many times the control's (over the "
       "same window)", DASHBOARD),
    _s("login_attempts", "STRANGLER_LOGIN_ATTEMPTS", "integer >= 1", whole(1), 5,
       "failed logins per username and address within the window before logins are "
       "refused (429)", DASHBOARD),
    _s("login_window", "STRANGLER_LOGIN_WINDOW", "integer >= 1 (seconds)", whole(1), 900,
       "the window of `STRANGLER_LOGIN_ATTEMPTS`", DASHBOARD),
    _s("dashboard_max_body", "STRANGLER_DASHBOARD_MAX_BODY", "integer >= 1", whole(1),
       64 * 1024, "the largest request body the proxy's own pages accept (413 beyond it)",
       DASHBOARD, shown_default="65536 (64 KiB)"),
    _s("host", "HOST", "address", text, "127.0.0.1", "where gunicorn listens", GUNICORN),
    _s("port", "PORT", "integer >= 1", whole(1), 8000, "where gunicorn listens", GUNICORN),
    _s("web_concurrency", "WEB_CONCURRENCY", "integer >= 1", whole(1), None,
       "gunicorn workers", GUNICORN, shown_default="2 x cores"),
    _s("worker_class", "GUNICORN_WORKER_CLASS", "gunicorn worker class", text,
       "proxy.worker.IntakeWorker", "the worker: gthread whose event loop reads each request "
       "whole before a thread sees it (gthread and gevent also work, unprotected)", GUNICORN),
    _s("threads", "GUNICORN_THREADS", "integer >= 1", whole(1), 16,
       "threads per worker (the bulkheads default to half of it)", GUNICORN),
)

COMPOSE_ONLY = "compose"
COMPOSE: tuple[Setting, ...] = tuple(
    _s(env.lower(), env, kind, text, default, meaning, COMPOSE_ONLY)
    for env, kind, default, meaning in (
        ("POSTGRES_PASSWORD", "string", None, "the database's password (required: no default)"),
        ("GRAFANA_ADMIN_PASSWORD", "string", None, "Grafana's admin password (required)"),
        ("EDGE_ADDRESS", "address", "127.0.0.1", "where the edge listens"),
        ("EDGE_PORT", "port", 8080, "where the edge listens"),
        ("EDGE_INITIAL_COLOUR", "blue | green", "blue",
         "the colour the edge starts with when it has none recorded"),
        ("PROXY_BLUE_PORT", "port", 8001, "the blue proxy colour"),
        ("PROXY_GREEN_PORT", "port", 8002, "the green proxy colour"),
        ("LEGACY_PORT", "port", 3000, "legacy"),
        ("POSTGRES_PORT", "port", 5433, "PostgreSQL"),
        ("REDIS_PORT", "port", 6380, "Redis"),
        ("EDGE_METRICS_PORT", "port", 9145, "the edge's metrics (`strangler edge metrics`)"),
        ("PROMETHEUS_PORT", "port", 9090, "Prometheus"),
        ("GRAFANA_PORT", "port", 3001, "Grafana"),
        ("PROXY_WORKERS", "integer", 2, "gunicorn workers per proxy colour (`WEB_CONCURRENCY`)"),
        ("EDGE_REQUESTS_PER_SECOND", "integer", 200, "per client address, burst as large"),
        ("EDGE_CONNECTIONS_PER_CLIENT", "integer", 256, "open connections per client address"),
        ("STRANGLER_IMAGE_REPOSITORY", "image name", "localhost/strangler",
         "image names: `:latest` (migrate), `:blue`, `:green`, and `-legacy:latest`"),
    )
)

ToolingSettings = dataclasses.make_dataclass(
    "ToolingSettings",
    [(setting.name, Any, dataclasses.field(default=setting.default)) for setting in TOOLING],
    frozen=True,
)
ToolingSettings.__module__ = __name__  # make_dataclass takes module= only from Python 3.12
ToolingSettings.__doc__ = "The tooling's settings, read once (see ``TOOLING``)."
DEFAULTS = ToolingSettings()  # every default, for code that needs one without the environment


def read(env: Mapping[str, str] | None = None) -> Any:
    """Parse every tooling setting from ``env`` (default: the process environment)."""
    env = os.environ if env is None else env
    settings = ToolingSettings(**{setting.name: setting.value(env) for setting in TOOLING})
    if settings.shadow_queue_url is not None:
        if not settings.shadow_queue_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingError("SHADOW_QUEUE_URL must be a redis://, rediss:// or unix:// URL, "
                               f"got {settings.shadow_queue_url!r}")
        if settings.shadow_queue_key is None:
            raise SettingError("SHADOW_QUEUE_KEY is required with SHADOW_QUEUE_URL (it seals "
                               "the queued exchanges; `strangler shadow key` makes one)")
    return settings
