"""nginx in front of the proxy and nothing else: the rendered edge with every request proxied.

``python -m proxy.edge --listen 127.0.0.1:8000 --proxy 127.0.0.1:8001 --prefix DIR`` writes
``DIR/nginx.conf`` (and the temp directories nginx needs) and prints the command that runs
it. It is the configuration ``strangler edge nginx`` renders (proxy/edge_routes.py: the same
buffering, limits, timeouts and request ids) for a table that sends every request to the
proxy, for the tests and ``make hostile``, which study the proxy behind nginx. ``make run``
and deployments use ``strangler edge nginx``, which also sends plain legacy routes straight to
legacy.
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from proxy.edge_routes import EdgeSettings, write
from proxy.validation import load_table
from shadow import settings

# Every request to the proxy: no route, and what no route matches is not legacy's to serve.
ALL_TO_PROXY = "default: flask\nroutes: []\n"


def render(listen: str, proxy: str, prefix: Path, *, max_body: int | None = None,
           per_client: int = 1000, workers: int | str = "auto", user: str | None = None
           ) -> Path:
    """Write ``prefix/nginx.conf`` for nginx on ``listen`` in front of the proxy at ``proxy``."""
    prefix = prefix.resolve()
    prefix.mkdir(parents=True, exist_ok=True)
    overrides: dict[str, object] = {
        "listen": listen, "proxy": proxy, "legacy": "127.0.0.1:9", "prefix": prefix,
        "per_client": per_client, "workers": str(workers), "user": user or getpass.getuser(),
        "access_log": str(prefix / "access.log"), "error_log": str(prefix / "error.log"),
        "max_body": max_body}
    edge = EdgeSettings.from_settings(settings.read(), **overrides)
    return write(load_table(ALL_TO_PROXY, "(every request to the proxy)", None), edge,
                 prefix / "nginx.conf")


def command(nginx: str, config: Path) -> list[str]:
    """Return the argv that runs nginx on a rendered ``config`` in the foreground."""
    prefix = config.parent
    return [nginx, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")]


def main(argv: list[str] | None = None) -> None:
    """Render the configuration and print the command that runs it."""
    parser = argparse.ArgumentParser(prog="python -m proxy.edge", description=__doc__)
    parser.add_argument("--listen", required=True, help="address:port for clients")
    parser.add_argument("--proxy", required=True, help="the proxy's address:port")
    parser.add_argument("--prefix", required=True, type=Path, help="nginx's own directory")
    parser.add_argument("--per-client", type=int, default=1000,
                        help="connections one client address may hold")
    parser.add_argument("--user", help="the workers' user when nginx starts as root")
    args = parser.parse_args(argv)
    config = render(args.listen, args.proxy, args.prefix, per_client=args.per_client,
                    user=args.user)
    print(" ".join(command("nginx", config)))


if __name__ == "__main__":
    main()
