"""``strangler shadow ...``: the queued shadow path's commands (docs/shadow.md, "Queued shadow").

- ``shadow work [--concurrency N] [--port P]``: a shadow worker (``proxy.shadow_worker``) on
  the app's settings (SHADOW_QUEUE_URL, SHADOW_QUEUE_KEY, the route table, DATABASE_URL).
- ``shadow key``: print a new SHADOW_QUEUE_KEY.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext


@click.group("shadow")
def shadow() -> None:
    """Queued shadow: workers that compare the exchanges the proxies publish."""


@shadow.command("work")
@click.option("--concurrency", default=2, show_default=True, type=click.IntRange(min=1),
              help="Threads reading and comparing exchanges.")
@click.option("--host", default="127.0.0.1", show_default=True, help="/metrics and /health.")
@click.option("--port", default=8100, show_default=True, type=click.IntRange(min=0))
@click.option("--claim-idle", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds before another worker's unacknowledged exchange is claimed.")
@with_appcontext
def work(concurrency: int, host: str, port: int, claim_idle: float) -> None:
    """Compare queued exchanges until SIGTERM (ack only after the comparison is stored)."""
    from proxy.shadow_worker import work as run

    run(current_app._get_current_object(), concurrency=concurrency,  # type: ignore[attr-defined]
        host=host, port=port, claim_idle=claim_idle)


@shadow.command("key")
def key() -> None:
    """Print a new SHADOW_QUEUE_KEY (a Fernet key)."""
    from shadow.queue import Sealer

    click.echo(Sealer.new_key())
