"""Debian's Prometheus as a test process: deploy/prometheus.yml pointed at a proxy, queried over
its HTTP API. Never the system service: its own port, storage directory and 1 s scrapes.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import httpx
from ruamel.yaml import YAML

from tests.support.monitoring import ALERTS, DEPLOY
from tests.support.processes import ServerProcess, free_port

JOB = "strangler-proxy"


def scrape_config(target: str, interval: str = "1s") -> dict[str, Any]:
    """Return deploy/prometheus.yml scraping ``target`` every ``interval``, rules included."""
    config = YAML(typ="safe").load((DEPLOY / "prometheus.yml").read_text())
    config["global"].update(scrape_interval=interval, evaluation_interval=interval)
    (job,) = config["scrape_configs"]
    job["static_configs"][0]["targets"] = [target]
    config["rule_files"] = [str(ALERTS)]
    return config


class Prometheus:
    """A Prometheus server started for one test module, and its query API."""

    def __init__(self, target: str, workdir: Path, log_dir: Path) -> None:
        binary = shutil.which("prometheus")
        if binary is None:
            raise AssertionError("prometheus is missing: apt-get install -y prometheus")
        config = workdir / "prometheus.yml"
        yaml = YAML()
        with config.open("w") as handle:
            yaml.dump(scrape_config(target), handle)
        port = free_port()
        self.process = ServerProcess(
            "prometheus",
            [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            port=port, ready_path="/-/ready", log_dir=log_dir,
        )
        self.client = httpx.Client(base_url=self.process.url, timeout=30)

    def start(self, limit: float = 30.0) -> Prometheus:
        """Start it and wait until it is ready (/-/ready answers 503 while the TSDB opens)."""
        self.process.start()
        deadline = time.monotonic() + limit
        while self.client.get("/-/ready").status_code != 200:
            assert time.monotonic() < deadline, self.process.log()
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        self.client.close()
        self.process.stop()

    def api(self, path: str, **params: Any) -> Any:
        """GET ``/api/v1/<path>`` and return its data; a query error fails with its message."""
        response = self.client.get(f"/api/v1/{path}", params=params)
        assert response.headers.get("content-type", "").startswith("application/json"), (
            path, response.status_code, response.text)
        body = response.json()
        assert body["status"] == "success", (path, params, body)
        return body["data"]

    def query(self, expr: str, at: float) -> list[dict[str, Any]]:
        """Evaluate ``expr`` at time ``at`` (Unix seconds): the instant vector's elements."""
        data = self.api("query", query=expr, time=f"{at:.3f}")
        assert data["resultType"] == "vector", (expr, data["resultType"])
        return data["result"]

    def query_range(self, expr: str, start: float, end: float, step: float
                    ) -> list[dict[str, Any]]:
        """Evaluate ``expr`` as a graph does: one point per ``step`` from ``start`` to ``end``."""
        return self.api("query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}",
                        step=f"{step}")["result"]

    def samples(self, selector: str) -> list[tuple[float, float]]:
        """Return the raw (timestamp, value) samples of one series, oldest first."""
        data = self.api("query", query=f"{selector}[1h]")
        assert len(data["result"]) == 1, (selector, data["result"])
        return [(float(t), float(v)) for t, v in data["result"][0]["values"]]

    def scraped_after(self, moment: float, limit: float = 30.0) -> float:
        """Wait for a scrape of the proxy that started after ``moment``; return its time."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            found = self.api("query", query=f'timestamp(up{{job="{JOB}"}})')["result"]
            if found and float(found[0]["value"][1]) > moment:
                return float(found[0]["value"][1])
            time.sleep(0.2)
        raise AssertionError(f"no scrape of the proxy after {moment} within {limit}s:\n"
                             f"{self.process.log()}")

    def wait_for(self, expr: str, limit: float = 30.0) -> list[dict[str, Any]]:
        """Poll until ``expr`` (evaluated now) returns elements; return them."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            found = self.api("query", query=expr)["result"]
            if found:
                return found
            time.sleep(0.2)
        raise AssertionError(f"{expr} stayed empty for {limit}s:\n{self.process.log()}")
