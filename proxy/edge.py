"""nginx in front of the proxy: render deploy/nginx.conf.template into a directory of its own.

``python -m proxy.edge --listen 127.0.0.1:8000 --proxy 127.0.0.1:8001 --prefix DIR`` writes
``DIR/nginx.conf`` (and the temp directories nginx needs) and prints the command that runs
it. ``make run`` uses it when nginx is installed; the tests and ``make hostile`` run the same
file.
"""

from __future__ import annotations

import argparse
import getpass
import re
from pathlib import Path

from backend.database import REPO_ROOT
from shadow import settings

TEMPLATE = REPO_ROOT / "deploy" / "nginx.conf.template"


def render(listen: str, proxy: str, prefix: Path, *, max_body: int | None = None,
           per_client: int = 1000, workers: int | str = "auto", user: str | None = None
           ) -> Path:
    """Write ``prefix/nginx.conf`` for nginx on ``listen`` in front of the proxy at ``proxy``."""
    if max_body is None:
        max_body = settings.read().max_body_bytes  # PROXY_MAX_BODY_BYTES, as the proxy reads it
    prefix = prefix.resolve()
    prefix.mkdir(parents=True, exist_ok=True)
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / temp).mkdir(exist_ok=True)
    values = {"LISTEN": listen, "PROXY": proxy, "PREFIX": str(prefix),
              "MAX_BODY": str(max_body), "PER_CLIENT": str(per_client), "WORKERS": str(workers),
              "USER": user or getpass.getuser()}
    text = re.sub(r"@\{([A-Z_]+)\}", lambda match: values[match.group(1)], TEMPLATE.read_text())
    config = prefix / "nginx.conf"
    config.write_text(text)
    return config


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
