"""``strangler edge``: the nginx edge rendered from routes.yaml (proxy/edge_routes.py).

``strangler edge nginx`` prints (or writes) the configuration; ``strangler edge watch`` keeps
a running nginx's configuration in step with routes.yaml (docs/deploy.md, "The edge").
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from proxy import edge_routes
from proxy.edge_routes import EdgeSettings, render, write
from proxy.edge_watch import EdgeWatcher
from proxy.validation import RouteFileError, load_table
from shadow import settings as declared

F = TypeVar("F", bound=Callable[..., Any])


def _options(command: F) -> F:
    for option in reversed([
        click.option("--routes", "routes", type=click.Path(path_type=Path, dir_okay=False),
                     help="routes.yaml (default: ROUTES_FILE)"),
        click.option("--listen", default="127.0.0.1:8080", show_default=True,
                     help="address:port nginx listens on"),
        click.option("--proxy", "proxy_address", default="127.0.0.1:8001", show_default=True,
                     help="the Python proxy's address:port"),
        click.option("--legacy", "legacy_address",
                     help="legacy's address:port (default: LEGACY_URL, else routes.yaml's)"),
        click.option("--prefix", type=click.Path(path_type=Path, file_okay=False),
                     help="nginx's own directory for pid, temp files and logs"),
        click.option("--access-log", default="/dev/stdout", show_default=True,
                     help="where the JSON access log goes"),
        click.option("--user", help="the workers' user when nginx starts as root"),
        click.option("--per-client", type=int, default=1000, show_default=True,
                     help="connections one client address may hold open"),
        click.option("--requests-per-second", type=int,
                     help="requests per second per client address, burst as large"),
        click.option("--proxy-upstream-file",
                     help="include this file (it defines `upstream strangler_proxy`, as"
                          " blue-green's edge-switch writes it) instead of --proxy"),
    ]):
        command = option(command)
    return command


def _prepare(routes: Path | None, listen: str, proxy_address: str, legacy_address: str | None,
             prefix: Path | None, access_log: str, user: str | None, per_client: int,
             requests_per_second: int | None, proxy_upstream_file: str | None
             ) -> tuple[Path, EdgeSettings]:
    settings = declared.read()
    path = routes or Path(settings.routes_file)
    try:
        load_table(path.read_text(), str(path), None)
    except (OSError, RouteFileError) as error:
        raise click.ClickException(str(error)) from error
    legacy = legacy_address
    if legacy is None and settings.legacy_url:  # LEGACY_URL; else routes.yaml's, per render
        try:
            legacy = edge_routes.legacy_address(settings.legacy_url)
        except ValueError as error:
            raise click.ClickException(str(error)) from error
    edge = EdgeSettings.from_settings(
        settings, listen=listen, proxy=proxy_address, legacy=legacy,
        prefix=prefix.resolve() if prefix else None, access_log=access_log, user=user,
        per_client=per_client, requests_per_second=requests_per_second,
        proxy_upstream_file=proxy_upstream_file,
        error_log=str(prefix.resolve() / "error.log") if prefix else None)
    return path, edge


@click.group("edge", help="The nginx edge rendered from routes.yaml.")
def edge() -> None:
    """``strangler edge ...``."""


@edge.command("nginx")
@_options
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              help="write here (atomically) instead of printing")
def nginx_command(output: Path | None, **options: object) -> None:
    """Render nginx.conf: plain legacy routes straight to legacy, the rest to the proxy."""
    path, settings = _prepare(**options)  # type: ignore[arg-type]
    table = load_table(path.read_text(), str(path), None)
    try:
        if output is None:
            sys.stdout.write(render(table, settings))
        else:
            write(table, settings, output)
    except ValueError as error:  # legacy.url over https
        raise click.ClickException(str(error)) from error


@edge.command("watch")
@_options
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="the nginx.conf the running nginx reads")
@click.option("--nginx", "nginx_binary", default="nginx", show_default=True)
@click.option("--render-only", is_flag=True,
              help="only render (atomically); the nginx elsewhere checks and reloads")
@click.option("--interval", default=0.1, show_default=True, help="seconds between polls")
def watch_command(output: Path, nginx_binary: str, render_only: bool, interval: float,
                  **options: object) -> None:
    """Re-render, check (nginx -t) and reload nginx whenever routes.yaml changes."""
    from proxy.access_log import configure_logging

    configure_logging()  # edge_reloaded / edge_render_refused lines on stderr
    path, settings = _prepare(**options)  # type: ignore[arg-type]
    EdgeWatcher(path, output, settings, None if render_only else nginx_binary, interval).run()


@edge.command("metrics")
@click.option("--log", "log_file", required=True, type=click.Path(path_type=Path, dir_okay=False),
              help="the edge's JSON access log (the file nginx writes)")
@click.option("--listen", default="127.0.0.1:9145", show_default=True,
              help="address:port of this exporter's /metrics")
@click.option("--from-start", is_flag=True, help="count the lines already in the file too")
def metrics_command(log_file: Path, listen: str, from_start: bool) -> None:
    """Serve the proxy's request series for the requests the edge sent straight to legacy."""
    import threading

    from prometheus_client import start_http_server

    from proxy.edge_log import EdgeMetrics, run

    metrics = EdgeMetrics()
    host, _, port = listen.rpartition(":")
    start_http_server(int(port), host or "127.0.0.1", registry=metrics.registry)
    run(log_file, metrics, threading.Event(), from_start=from_start)
