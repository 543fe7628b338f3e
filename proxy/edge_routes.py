"""The edge rendered from routes.yaml: an nginx that sends plain legacy routes straight to legacy.

Every request the proxy would only pass to legacy (a route that is ``serve: legacy`` with no
shadow and no canary, or a request no route matches while ``default: legacy`` and
``shadow.unmatched`` is unset) costs the Python proxy about 2.8 ms at p50 for nothing. The
configuration rendered here lets nginx send those straight to legacy, on the canonical path
the proxy would have sent, and everything else to the proxy, which decides as it always did.

One ``map`` on ``"$request_method $request_uri"`` (the raw request target, exactly what the
proxy's ``canonical_segments`` reads) decides, first match wins:

1. the proxy's own paths (``/health``, ``/metrics``, the dashboard's prefix): the proxy;
2. every path the edge does not read itself goes to the proxy, which decides (or refuses it
   with 400) as it always did: a ``%`` anywhere (escapes the proxy decodes or refuses), a
   backslash, any byte outside RFC 3986's path characters (non-ASCII included), a ``.`` or
   ``..`` segment, a target that is not a path (absolute form), and every OPTIONS request
   (a preflight follows the route of its Access-Control-Request-Method, which the proxy reads;
   nginx 1.22 would see only the first of repeated headers);
3. the routes, per method in the proxy's order of precedence (all-literal before parameters,
   left to right; HEAD's own routes before GET's, which HEAD follows): literals compare
   case-insensitively, ``//`` and trailing slashes are ignored, as ``canonical_segments``
   does; a plain legacy route maps to legacy with the canonical path (the template's
   literals, the parameters as sent), any other route to the proxy;
4. unmatched requests already in canonical form (no ``//``, no trailing slash) go to legacy
   when the proxy would send them there; everything else (``default: flask``, the
   non-canonical forms) to the proxy.

The decision carries the route template, which the JSON access log records under the same
labels as the proxy's (``route``, ``side``); ``proxy.edge_log`` turns those lines into
Prometheus series.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from pathlib import Path

from proxy.patterns import RoutePattern
from proxy.schema import METHODS, RouteEntry
from proxy.table import Route, RouteTable

# RFC 3986 pchar without '%' (escapes go to the proxy): what the edge reads itself.
SAFE = "A-Za-z0-9._~!$&'()*+,;=:@-"
OWN_PATHS = ("/health", "/health/live", "/health/ready", "/metrics")  # proxy.dispatch's
QUERY = r"(?:\?.*)?$"
PROXY = "proxy"


@dataclass(frozen=True)
class EdgeSettings:
    """Where the edge listens and sends, and the limits it enforces (the proxy's own values)."""

    listen: str = "127.0.0.1:8080"
    proxy: str = "127.0.0.1:8001"
    legacy: str | None = None  # legacy's address:port; None: routes.yaml's legacy.url
    prefix: Path | None = None  # nginx's own directory (pid, temp files, logs); None: defaults
    access_log: str = "/dev/stdout"
    error_log: str = "stderr"
    workers: str = "auto"
    user: str | None = None  # the workers' user when nginx starts as root
    max_body: int = 10 * 1024 * 1024  # PROXY_MAX_BODY_BYTES
    header_timeout: float = 5.0  # PROXY_CLIENT_HEADER_TIMEOUT
    body_timeout: float = 10.0  # PROXY_CLIENT_BODY_TIMEOUT
    send_timeout: float = 30.0  # PROXY_CLIENT_SEND_TIMEOUT
    dashboard_prefix: str = "/_strangler"  # STRANGLER_DASHBOARD_PREFIX
    per_client: int = 1000  # connections one client address may hold
    requests_per_second: int | None = None  # per client address (burst as large); None: no cap
    # A file defining ``upstream strangler_proxy`` (blue-green: deploy/compose/edge-switch
    # writes it); None: the upstream is ``proxy``.
    proxy_upstream_file: str | None = None
    daemon: bool = False

    @classmethod
    def from_settings(cls, settings: object, **overrides: object) -> EdgeSettings:
        """Take the limits from ``shadow.settings.read()``, the rest from ``overrides``."""
        values = {"max_body": settings.max_body_bytes,  # type: ignore[attr-defined]
                  "header_timeout": settings.client_header_timeout,  # type: ignore[attr-defined]
                  "body_timeout": settings.client_body_timeout,  # type: ignore[attr-defined]
                  "send_timeout": settings.client_send_timeout,  # type: ignore[attr-defined]
                  "dashboard_prefix": settings.dashboard_prefix}  # type: ignore[attr-defined]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def legacy_address(url: str) -> str:
    """Return ``host:port`` of an http:// URL, as nginx's ``server`` directive takes it."""
    scheme, _, rest = url.partition("://")
    if scheme != "http" or not rest:
        raise ValueError(f"the edge reaches legacy over http:// only, got {url!r}")
    netloc = rest.split("/", 1)[0]
    return netloc if ":" in netloc.rsplit("]", 1)[-1] else netloc + ":80"


# The settings of a route that only matter when it is compared (shadowed).
COMPARISON_ONLY = frozenset({"sample", "timeout", "max_in_flight", "calibrate", "writes",
                             "ignore", "unordered", "headers", "excuse_server_errors"})


def plain_legacy(entry: RouteEntry) -> bool:
    """Return whether the proxy would only pass this route's requests to legacy.

    Legacy serves it, nothing compares it, and no other setting is given: a setting this
    module does not know (a future ``capture``, say) sends the route to the proxy, never
    around it.
    """
    if entry.serve != "legacy" or entry.shadow_side is not None:
        return False
    given = set(entry.model_dump(exclude_defaults=True)) - {"route", "serve", "shadow"}
    return given <= COMPARISON_ONLY


def unmatched_to_legacy(table: RouteTable) -> bool:
    """Return whether the proxy only passes requests no route matches to legacy."""
    return table.config.default == "legacy" and table.config.shadow.unmatched is None


def _literal(text: str) -> str:
    """A literal segment as a regex that needs no escaping in nginx's quoted strings."""
    return "".join(c if c.isalnum() else f"[{c}]" for c in text)


def _route_rule(route: Route, methods: str) -> tuple[str, str]:
    """Return (regex, decision) for one route: legacy with its canonical path, or the proxy."""
    pattern: RoutePattern = route.pattern
    regex, path, number = [], [], 0
    for segment in pattern.segments:
        if segment is None:
            number += 1
            regex.append(f"/+(?<edge_p{number}>[{SAFE}]+)")
            path.append(f"/$edge_p{number}")
        else:
            regex.append("/+" + _literal(segment))
            path.append("/" + segment.replace("$", "${edge_dollar}"))  # '$' is no variable
    tail = "/*" if pattern.segments else "/+"
    rule = f"^{methods} (?i){''.join(regex)}{tail}{QUERY}"
    if plain_legacy(route.entry):
        label = route.template.replace("$", "${edge_dollar}")
        return rule, f"legacy|{label}|{''.join(path) or '/'}$is_args$args"
    return rule, PROXY


def decision_rules(table: RouteTable, dashboard_prefix: str = "/_strangler"
                   ) -> list[tuple[str, str]]:
    """Return the map's (regex, decision) rules in order; the first that matches decides.

    A decision is ``proxy`` or ``legacy|ROUTE|PATH`` (ROUTE: the template, or ``unmatched``).
    """
    own = "|".join(path.removeprefix("/") for path in OWN_PATHS)
    rules = [
        (f"^[A-Z]+ /(?:{own}){QUERY}", PROXY),
        (f"^[A-Z]+ {_literal(dashboard_prefix.rstrip('/'))}/", PROXY),
        ("^[^ ]+ [^/]", PROXY),  # not a path (absolute form, '*')
        (f"^[^ ]+ [^?]*[^/?{SAFE}]", PROXY),  # '%', '\\', non-ASCII, ...
        ("^[^ ]+ [^?]*/[.][.]?(?:/|[?]|$)", PROXY),  # dot segments
        ("^OPTIONS ", PROXY),
    ]
    # HEAD's own routes come before GET's, which HEAD follows when none of its own matches.
    for method in ("HEAD", *(m for m in METHODS if m not in ("HEAD", "OPTIONS"))):
        methods = "(?:GET|HEAD)" if method == "GET" else method
        mine = [r for r in table.routes if r.pattern.method == method]
        # The proxy's precedence: per length, literals before parameters, left to right
        # (its sort is stable, so equal keys keep the file's order, as here).
        mine.sort(key=lambda r: (len(r.pattern.segments), r.pattern.specificity()))
        rules += [_route_rule(r, methods) for r in mine]
    if unmatched_to_legacy(table):
        rules.append((f"^[A-Z]+ (?<edge_u>/(?:[{SAFE}]+(?:/[{SAFE}]+)*)?){QUERY}",
                      "legacy|unmatched|$edge_u$is_args$args"))
    return rules


def _seconds(value: float) -> str:
    return f"{max(1, round(value * 1000))}ms"


def render(table: RouteTable, edge: EdgeSettings) -> str:
    """Return the whole nginx.conf of the edge for ``table``."""
    timeouts = table.config.legacy.timeouts
    legacy = edge.legacy or legacy_address(table.config.legacy.url)
    rules = "\n".join(f'        "~{regex}" "{decision}";'
                      for regex, decision in decision_rules(table, edge.dashboard_prefix))
    prefix = edge.prefix
    paths = ""
    if prefix is not None:
        paths = "\n".join(f"    {kind}_temp_path {prefix}/{name};" for kind, name in (
            ("client_body", "client_body"), ("proxy", "proxy"), ("fastcgi", "fastcgi"),
            ("uwsgi", "uwsgi"), ("scgi", "scgi")))
    pid = f"{prefix}/nginx.pid" if prefix is not None else "/run/nginx.pid"
    user = f"user {edge.user};\n" if edge.user else ""
    access_log = "off" if edge.access_log == "off" else f"{edge.access_log} strangler_edge"
    if edge.proxy_upstream_file is not None:
        proxy_upstream = f"    include {edge.proxy_upstream_file};  # upstream strangler_proxy"
    else:
        proxy_upstream = f"""\
    upstream strangler_proxy {{
        server {edge.proxy};
        keepalive 64;
        keepalive_timeout 20s;  # shorter than gunicorn's keep-alive: nginx closes first
    }}"""
    rate_zone = rate_limit = ""
    if edge.requests_per_second is not None:
        rate = edge.requests_per_second
        rate_zone = (f"    limit_req_zone $binary_remote_addr zone=edge_requests:10m"
                     f" rate={rate}r/s;\n    limit_req_status 429;\n")
        rate_limit = f"        limit_req zone=edge_requests burst={rate} nodelay;\n"
    return f"""\
# The edge, rendered by `strangler edge nginx` from routes.yaml (version {table.version}).
# Do not edit: `strangler edge watch` renders it again whenever routes.yaml changes.
# Plain legacy routes go straight to legacy, everything else to the proxy (proxy/edge_routes.py).
{"daemon off;" if not edge.daemon else ""}
{user}worker_processes {edge.workers};
pid {pid};
error_log {edge.error_log} warn;

events {{
    worker_connections 8192;
}}

http {{
    server_tokens off;
    default_type application/octet-stream;
{paths}

    # Request ids: a sane client X-Request-ID is kept (the proxy accepts the same form), any
    # other gets nginx's own; it reaches the upstream, the access log and the response.
    map $http_x_request_id $edge_request_id {{
        "~^[A-Za-z0-9._:@/+=-]{{1,128}}$" $http_x_request_id;
        default $request_id;
    }}

    geo $edge_dollar {{
        default "$";
    }}

    # Who serves: "proxy", or "legacy|ROUTE|CANONICAL-PATH" (rules: proxy/edge_routes.py).
    map "$request_method $request_uri" $edge_decision {{
        default "proxy";
{rules}
    }}
    map $edge_decision $edge_side {{
        "~^legacy[|]" legacy;
        default proxy;
    }}
    map $edge_decision $edge_route {{
        "~^legacy[|](?<edge_r>[^|]*)[|]" $edge_r;
        default "";
    }}
    map $edge_decision $edge_legacy_uri {{
        "~^legacy[|][^|]*[|](?<edge_l>.*)$" $edge_l;
        default "";
    }}

    # The access log: one JSON object a request, with the proxy's labels (route, side) for
    # the requests the edge sends to legacy; proxy.edge_log counts those for Prometheus.
    log_format strangler_edge escape=json
        '{{"time":"$time_iso8601","request_id":"$edge_request_id","method":"$request_method",'
        '"route":"$edge_route","side":"$edge_side","status":$status,"seconds":$request_time,'
        '"upstream_seconds":"$upstream_response_time","client":"$remote_addr",'
        '"uri":"$request_uri","bytes":$body_bytes_sent,"upstream":"$upstream_addr",'
        '"upstream_status":"$upstream_status"}}';
    access_log {access_log};

    # Limits and deadlines: the proxy's (PROXY_MAX_BODY_BYTES, PROXY_CLIENT_*_TIMEOUT).
    client_max_body_size {edge.max_body};
    client_body_buffer_size 128k;
    client_header_buffer_size 4k;
    large_client_header_buffers 4 16k;
    client_header_timeout {_seconds(edge.header_timeout)};
    client_body_timeout {_seconds(edge.body_timeout)};
    send_timeout {_seconds(edge.send_timeout)};
    keepalive_timeout 30s;
    keepalive_requests 1000;
    reset_timedout_connection on;
    limit_conn_zone $binary_remote_addr zone=edge_per_client:10m;
    limit_conn_status 429;
{rate_zone}
{proxy_upstream}
    upstream strangler_legacy {{
        server {legacy};
        keepalive 64;
        keepalive_timeout 4s;  # shorter than Node's 5 s keep-alive
    }}

    # Set, never appended to: what a client sends in these is dropped.
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $remote_addr;
    proxy_set_header X-Forwarded-Proto $scheme;
    proxy_set_header X-Forwarded-Host $host;
    proxy_set_header X-Request-ID $edge_request_id;
    proxy_hide_header X-Request-ID;
    add_header X-Request-ID $edge_request_id always;
    # Whole requests only, responses buffered: a slow client costs nginx, never an upstream.
    proxy_request_buffering on;
    proxy_buffering on;
    proxy_buffer_size 16k;
    proxy_buffers 32 16k;
    proxy_busy_buffers_size 64k;
    proxy_send_timeout {_seconds(edge.send_timeout)};
    # Tried again only when the upstream could not be reached (never after a timeout, never
    # a POST): a kept-alive upstream connection that closed under nginx gets a new one.
    proxy_next_upstream error;

    server {{
        # One listening socket shared by old and new workers: a reload drops no connection.
        listen {edge.listen} backlog=4096;
        limit_conn edge_per_client {edge.per_client};
{rate_limit}
        location = /_edge/health {{
            access_log off;
            default_type text/plain;
            return 200 "ok\\n";
        }}

        location / {{
            error_page 418 = @legacy;
            if ($edge_side = legacy) {{
                return 418;
            }}
            proxy_pass http://strangler_proxy;
            proxy_connect_timeout 2s;
            proxy_read_timeout 65s;  # above gunicorn's 60 s worker timeout
        }}

        location @legacy {{
            # The canonical path the proxy would send, with the query as sent.
            proxy_pass http://strangler_legacy$edge_legacy_uri;
            proxy_connect_timeout {_seconds(timeouts.connect)};
            proxy_read_timeout {_seconds(timeouts.read)};
        }}
    }}
}}
"""


def write(table: RouteTable, edge: EdgeSettings, output: Path) -> Path:
    """Render into ``output`` atomically (a reader sees the old file or the new one)."""
    if edge.prefix is not None:
        for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (edge.prefix / temp).mkdir(parents=True, exist_ok=True)
    candidate = output.with_name(output.name + ".new")
    candidate.write_text(render(table, edge))
    candidate.replace(output)
    return output


def default_user() -> str:
    """Return the user rendering (the workers' user when nginx is started as root)."""
    return getpass.getuser()
