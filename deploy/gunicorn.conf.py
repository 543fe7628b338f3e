"""gunicorn settings for the proxy: ``gunicorn -c deploy/gunicorn.conf.py 'rollout.wsgi:app'``.

Environment (declared in shadow/settings.py, listed in docs/settings.md): HOST and PORT
(127.0.0.1:8000), WEB_CONCURRENCY (workers, default 2 x cores), GUNICORN_WORKER_CLASS
(default proxy.worker.IntakeWorker: gthread whose event loop reads each request whole, under
deadlines, before a thread sees it; gthread and gevent also work, but then only nginx in front
protects the threads from slow clients), GUNICORN_THREADS (default 16), FORWARDED_ALLOW_IPS,
PROMETHEUS_MULTIPROC_DIR (default: a fresh temporary directory). The intake's own settings
(PROXY_CLIENT_HEADER_TIMEOUT, ...) are described in proxy/worker.py and docs/security.md.
"""

from __future__ import annotations

import os
import shutil
import tempfile

# prometheus_client reads this when first imported, so set it before the app is loaded (and
# before shadow.settings, whose package imports prometheus_client).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="strangler-metrics-")
# The master imports the worker class (and with it proxy.metrics) before on_starting runs.
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from backend.node_headers import gunicorn_lines  # noqa: E402
from shadow import settings as declared  # noqa: E402  (after the metrics directory is set)

_settings = declared.read()  # a bad value stops the master here, naming the variable
bind = f"{_settings.host}:{_settings.port}"
workers = _settings.web_concurrency or 2 * (os.cpu_count() or 1)
worker_class = _settings.worker_class
threads = _settings.threads
worker_connections = 1000
keepalive = 30
# The proxy is the edge: trust no client-sent X-Forwarded-* unless told (FORWARDED_ALLOW_IPS).
forwarded_allow_ips = _settings.forwarded_allow_ips
graceful_timeout = 10
timeout = 60
accesslog = None  # the proxy writes its own JSON access line per request
errorlog = "-"
control_socket_disable = True  # several proxies (tests, benchmarks) share one machine


def on_starting(server) -> None:
    """Wipe the metrics directory: values from a previous run must not be merged in."""
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def pre_request(worker, req) -> None:
    """Merge repeated header lines as Node's http module does (gunicorn joins them with ","):
    legacy behind the proxy and the in-process backend then read what legacy alone reads."""
    req.headers = gunicorn_lines(req.headers)


def post_worker_init(worker) -> None:
    """Start this worker's client pool, routes.yaml watcher and health probes (after fork);
    share the shadow write registry with the server's other workers (shadow.concurrency)."""
    runtime = getattr(worker.wsgi, "extensions", {}).get("strangler")  # only the proxy has one
    if runtime is not None:
        runtime.ensure_started()
        runtime.shadowing.share_writes(str(worker.ppid))  # one write registry per server
        runtime.probes.kick(worker.wsgi)


def child_exit(server, worker) -> None:
    """Drop the dead worker's live gauges from the merged metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
