"""Liveness and readiness: what each means, and that a sick dependency never slows them."""

from __future__ import annotations

import threading

from shadow import ParityWriter
from shadow.comparison import Comparison
from shadow.observation import Outcome

ROUTES = """\
legacy:
  url: http://127.0.0.1:9
routes:
  - route: GET /api/tags
    serve: flask
"""
FLASK_ONLY = """\
default: flask
routes:
  - route: GET /api/tags
    serve: flask
"""


class FailingStore:
    def record(self, batch: list) -> None:
        raise OSError("database unreachable")

    def record_noise(self, route: str, paths: list[str]) -> None:
        raise OSError("database unreachable")


def test_liveness_looks_at_nothing_but_the_worker(make_proxy, tmp_path) -> None:
    broken = f"sqlite:///{tmp_path}/missing/dir/strangler.db"
    client = make_proxy(ROUTES, LEGACY_URL="http://127.0.0.1:9",
                        SQLALCHEMY_DATABASE_URI=broken).test_client()
    response = client.get("/health/live")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    assert client.get("/health/ready").status_code == 503  # legacy is down


def test_a_database_outage_degrades_but_does_not_make_the_proxy_unready(make_proxy,
                                                                         tmp_path) -> None:
    broken = f"sqlite:///{tmp_path}/missing/dir/strangler.db"
    client = make_proxy(ROUTES, SQLALCHEMY_DATABASE_URI=broken).test_client()
    for path in ("/health", "/health/ready"):
        response = client.get(path)
        body = response.get_json()
        assert response.status_code == 200, body
        assert (body["status"], body["ready"]) == ("degraded", True)
        assert body["checks"]["database"]["ok"] is False
        assert body["checks"]["legacy"]["ok"] is True


def test_legacy_down_is_unready_unless_no_route_uses_legacy(make_proxy) -> None:
    down = make_proxy(ROUTES, LEGACY_URL=None).test_client().get("/health")
    assert down.status_code == 503
    assert down.get_json()["status"] == "unavailable"
    flask_only = make_proxy(FLASK_ONLY, LEGACY_URL="http://127.0.0.1:9").test_client()
    response = flask_only.get("/health")
    assert response.status_code == 200
    assert response.get_json()["checks"]["legacy"]["ok"] is False


def test_parity_store_failures_show_in_the_shadow_check(make_proxy) -> None:
    app = make_proxy(ROUTES)
    client = app.test_client()
    assert client.get("/health").get_json()["checks"]["shadow"]["ok"] is True
    writer = ParityWriter(FailingStore(), interval=0.01)
    app.extensions["strangler"].shadowing.writer = writer
    writer.comparison(Comparison("GET /api/tags", "GET", Outcome.MATCH, "legacy"))
    assert writer.flush(10)
    body = client.get("/health").get_json()
    assert body["checks"]["shadow"]["ok"] is False
    assert body["checks"]["shadow"]["store_failed"] == 1
    assert (body["status"], body["ready"]) == ("degraded", True)
    writer.close()


def test_health_answers_from_the_last_probe_while_a_refresh_hangs(make_proxy) -> None:
    app = make_proxy(ROUTES)
    client = app.test_client()
    assert client.get("/health").status_code == 200  # the first call waits for a first probe
    probes = app.extensions["strangler"].probes
    probes.interval = 0.0
    release, started, finished = threading.Event(), [], []

    def hang(app_) -> None:  # a dependency that does not answer until released
        started.append(True)
        release.wait(30)
        finished.append(True)

    probes.refresh = hang
    for _ in range(5):
        assert client.get("/health").status_code == 200
    assert finished == []  # every answer came while the refresh still hung
    release.set()
    assert started == [True]  # one refresh at a time, never one per request
