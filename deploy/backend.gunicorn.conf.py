"""gunicorn settings for the Flask backend served on its own (tests, benchmarks, a deployment
without the proxy): ``gunicorn -c deploy/backend.gunicorn.conf.py backend.wsgi:app``.

Where a gunicorn setting can make the backend's HTTP layer behave like legacy's Node server,
it does (docs/contract.md lists each server-level difference and what was decided):
- request lines and header fields as long as Node takes (its whole head may be 16 KiB; gunicorn
  refuses a request line over 4094 bytes and a field over 8190 by default);
- repeated headers merged as Node merges them (first Authorization wins, others joined with
  ", "), before the WSGI environ is built.
Environment: WEB_CONCURRENCY (workers, gunicorn's own variable), PORT and HOST (default
127.0.0.1:8001; ``--bind`` overrides).
"""

from __future__ import annotations

from backend import settings as declared
from backend.node_headers import gunicorn_lines

_settings = declared.read()  # HOST and PORT, declared in backend/settings.py
bind = f"{_settings.host}:{_settings.port}"
limit_request_line = 0  # no limit of its own (gunicorn caps it at 1 MiB); Node: 16 KiB heads
limit_request_field_size = 16 * 1024  # a single field may fill Node's 16 KiB head
limit_request_fields = 32768  # gunicorn's maximum; Node reads 1,000 lines and ignores the rest
control_socket_disable = True


def pre_request(worker, req) -> None:
    """Merge repeated header lines as Node's http module does (gunicorn joins them with ",")."""
    req.headers = gunicorn_lines(req.headers)
