"""Keep the edge in step with routes.yaml: render, check with ``nginx -t``, reload gracefully.

``strangler edge watch`` runs one EdgeWatcher beside nginx. Whenever routes.yaml changes (the
CLI, the dashboard and the rollout controller all write it through rollout.route_file, by
atomic rename), the watcher validates it as the proxy does, renders the edge into a candidate
file next to the live one, runs ``nginx -t`` on the candidate, and only then moves it over the
live file and sends ``nginx -s reload``: old workers finish the requests they hold while new
workers take new ones on the same listening socket, so no request is dropped. An invalid
routes.yaml or a render nginx refuses never replaces the running configuration.

With ``nginx=None`` (``--render-only``) the watcher only renders, atomically: nginx runs in
another container (the compose stack's edge), whose deploy/compose/edge-start checks each new
render with ``nginx -t`` before it reloads.
"""

from __future__ import annotations

import os
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from proxy.access_log import log_event
from proxy.edge_routes import EdgeSettings, render
from proxy.validation import RouteFileError, load_table


@dataclass
class EdgeWatcher:
    """Render ``routes`` into ``config`` for the nginx that runs it, whenever routes change."""

    routes: Path
    config: Path
    edge: EdgeSettings
    nginx: str | None = "nginx"  # None: render only (another process checks and reloads)
    interval: float = 0.1
    version: str | None = None
    last_error: str | None = None
    reloads: int = 0
    refusals: int = 0
    _stamp: tuple[int, int, int] | None = field(default=None, repr=False)

    def _nginx(self, config: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        assert self.nginx is not None
        argv = [self.nginx, "-q", "-c", str(config)]
        if self.edge.prefix is not None:
            argv[2:2] = ["-p", str(self.edge.prefix), "-e", str(self.edge.prefix / "error.log")]
        return subprocess.run([*argv, *extra], capture_output=True, text=True, check=False)

    def render_once(self) -> bool:
        """Write the live config from routes.yaml if it is valid; return whether it changed."""
        text = self.routes.read_text()
        try:
            table = load_table(text, str(self.routes), None)
        except RouteFileError as error:
            return self._refuse(f"routes.yaml refused: {error}")
        if table.version == self.version and self.config.exists():
            return False
        if self.edge.prefix is not None:
            for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
                (self.edge.prefix / temp).mkdir(parents=True, exist_ok=True)
        try:
            rendered = render(table, self.edge)
        except ValueError as error:  # e.g. legacy.url over https
            return self._refuse(f"cannot render: {error}")
        if self.config.exists() and self.config.read_text() == rendered:  # nginx runs it
            self.version, self.last_error = table.version, None
            return False
        candidate = self.config.with_name(self.config.name + ".candidate")
        candidate.write_text(rendered)
        if self.nginx is not None:
            checked = self._nginx(candidate, "-t")
            if checked.returncode != 0:
                return self._refuse(f"nginx -t refused the render: {checked.stderr.strip()}")
        candidate.replace(self.config)
        self.version, self.last_error = table.version, None
        return True

    def _refuse(self, message: str) -> bool:
        self.refusals += 1
        if message != self.last_error:
            log_event("edge_render_refused", file=str(self.routes), error=message)
        self.last_error = message
        return False

    def reload(self) -> None:
        """Ask the running nginx to take the live config (graceful: no request dropped)."""
        done = self._nginx(self.config, "-s", "reload")
        if done.returncode != 0:
            self._refuse(f"nginx -s reload failed: {done.stderr.strip()}")
        else:
            self.reloads += 1
            log_event("edge_reloaded", file=str(self.config), version=self.version)

    def check(self) -> bool:
        """Render and reload if routes.yaml changed; return whether the config changed."""
        try:
            st = os.stat(self.routes)
        except OSError as error:
            self._refuse(f"{self.routes}: {error.strerror}")
            return False
        stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        if not self.render_once():
            return False
        if self.nginx is None:
            log_event("edge_rendered", file=str(self.config), version=self.version)
            return True
        self.reload()
        return True

    def run(self, stop: threading.Event | None = None) -> None:
        """Poll routes.yaml every ``interval`` seconds, until ``stop`` is set (or forever)."""
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                self.check()
            except OSError as error:  # the watcher outlives a vanished file or a full disk
                self._refuse(f"{type(error).__name__}: {error}")
            stop.wait(self.interval)
