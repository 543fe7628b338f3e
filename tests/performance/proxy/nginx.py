"""An nginx of the benchmark's own: own config, port on 127.0.0.1, pid and logs in a temp dir."""

from __future__ import annotations

from pathlib import Path

from tests.support.processes import ServerProcess, free_port

CONFIG = """\
daemon off;
master_process on;
worker_processes {workers};
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream legacy {{
        server {legacy};
        keepalive 64;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://legacy;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
        }}
    }}
}}
"""


def nginx_process(nginx: str, legacy_url: str, prefix: Path, *, workers: int) -> ServerProcess:
    """Return (not started) nginx reverse-proxying to ``legacy_url`` with upstream keepalive."""
    port = free_port()
    prefix.mkdir(parents=True, exist_ok=True)
    config = prefix / "nginx.conf"
    config.write_text(CONFIG.format(workers=workers, prefix=prefix, port=port,
                                    legacy=legacy_url.removeprefix("http://")))
    return ServerProcess(
        "nginx", [nginx, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")],
        port=port, ready_path="/api/tags", log_dir=prefix,
    )
