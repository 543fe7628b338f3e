"""The proxy app in-process (Flask test client), legacy = a threaded upstream on loopback."""

from __future__ import annotations

import gzip
import io
import json
import logging

import pytest

from proxy import metrics
from proxy.access_log import access_logger
from tests.support.upstream import GZIPPED

ROUTES = """\
legacy:
  url: http://127.0.0.1:9
  timeouts: {connect: 1.0, read: 0.5, pool: 1.0}
routes:
  - route: GET /api/tags
    serve: flask
  - route: GET /api/echo
    serve: legacy
  - route: POST /api/articles/:slug/comments
    serve: flask
"""


def test_legacy_side_gets_the_canonical_path_and_forwarding_headers(make_proxy) -> None:
    client = make_proxy(ROUTES).test_client()
    response = client.get("/api//echo/?q=1&q=2", headers={"X-Request-ID": "rid-42",
                                                          "X-Strangler-Side": "flask"})
    echo = response.get_json()
    headers = dict(echo["headers"])
    assert response.status_code == 200
    assert echo["path"] == "/api/echo?q=1&q=2"
    assert headers["x-request-id"] == "rid-42"
    assert headers["via"] == "1.1 strangler"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert "x-strangler-side" not in headers
    assert "user-agent" in headers  # werkzeug's own; urllib3 adds none of its own
    assert response.headers["X-Request-ID"] == "rid-42"


def test_flask_side_is_called_in_process(make_proxy) -> None:
    client = make_proxy(ROUTES).test_client()
    response = client.get("/API/tags/", headers={"Connection": "X-Hop", "X-Hop": "1"})
    body = response.get_json()
    assert body["tags"] == ["flask"]
    assert body["path"] == "/api/tags"
    assert "X-Hop" not in body["headers"]
    assert body["headers"]["Via"] == "1.1 strangler"
    assert body["headers"]["X-Request-Id"] == response.headers["X-Request-ID"]


def test_flask_side_gets_the_request_body(make_proxy) -> None:
    client = make_proxy(ROUTES).test_client()
    response = client.post("/api/articles/a/comments", data=b"x" * 100_000)
    assert (response.status_code, response.get_json()) == (201, {"length": 100_000})


def test_request_body_over_the_limit_is_413(make_proxy) -> None:
    client = make_proxy(ROUTES, MAX_BODY_BYTES=1000).test_client()
    for path in ("/api/echo", "/api/articles/a/comments"):
        response = client.post(path, data=b"x" * 1001)
        assert response.status_code == 413
        assert response.get_json()["requestId"] == response.headers["X-Request-ID"]
    assert client.post("/api/echo", data=b"x" * 1000).get_json()["body_length"] == 1000


class BrokenChunks(io.BytesIO):
    """A ``wsgi.input`` whose chunked framing breaks after ``good`` bytes (gunicorn raises)."""

    def __init__(self, good: bytes) -> None:
        super().__init__(good)

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        if not data:
            raise ValueError("Invalid chunk size")
        return data


@pytest.mark.parametrize("size", [10, 100_000])  # read before calling a side, or while streaming
@pytest.mark.parametrize("path", ["/api/echo", "/api/articles/a/comments"])  # legacy, flask
def test_a_body_shorter_than_its_length_is_400_on_either_side(make_proxy, path, size) -> None:
    client = make_proxy(ROUTES).test_client()
    response = client.post(path, input_stream=io.BytesIO(b"x" * size),
                           environ_overrides={"CONTENT_LENGTH": str(2 * size)},
                           headers={"X-Request-ID": "short-1"})
    assert response.status_code == 400
    assert response.get_json() == {
        "errors": {"proxy": [f"request body ended after {size} of {2 * size} bytes"]},
        "requestId": "short-1"}
    assert client.post(path, data=b"x" * size).status_code in (200, 201)


@pytest.mark.parametrize("path", ["/api/echo", "/api/articles/a/comments"])
def test_an_unreadable_chunked_body_is_400_and_counted_so(make_proxy, path, caplog) -> None:
    client = make_proxy(ROUTES).test_client()
    with caplog.at_level(logging.INFO, logger=access_logger.name):
        response = client.post(path, headers={"Transfer-Encoding": "chunked"},
                               environ_overrides={"wsgi.input": BrokenChunks(b"x" * 70_000),
                                                  "CONTENT_LENGTH": ""})
    assert response.status_code == 400
    assert "unreadable" in response.get_json()["errors"]["proxy"][0]
    assert json.loads(caplog.records[-1].getMessage())["status"] == 400


def test_dot_segments_are_refused(make_proxy) -> None:
    response = make_proxy(ROUTES).test_client().get("/api/echo/%2e%2e/tags")
    assert response.status_code == 400
    assert "dot segment" in response.get_json()["errors"]["proxy"][0]


def test_redirects_and_encodings_pass_through(make_proxy) -> None:
    client = make_proxy(ROUTES).test_client()
    redirect = client.get("/api/redirect")
    assert (redirect.status_code, redirect.headers["Location"]) == (302, "/api/echo?redirected=1")
    zipped = client.get("/api/gzip", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.data == GZIPPED
    assert json.loads(gzip.decompress(zipped.data)[:17]) == {"tags": ["gzip"]}


def test_hop_by_hop_response_headers_are_stripped(make_proxy) -> None:
    response = make_proxy(ROUTES).test_client().get("/api/hop")
    assert "X-Hop-Secret" not in response.headers
    assert "Keep-Alive" not in response.headers
    assert "Proxy-Authenticate" not in response.headers
    assert response.headers["X-End-To-End"] == "kept"
    assert response.headers.getlist("Set-Cookie") == ["a=1", "b=2"]


def test_unreachable_legacy_is_502_json(make_proxy) -> None:
    client = make_proxy(ROUTES, LEGACY_URL=None).test_client()
    errors = metrics.UPSTREAM_ERRORS.labels("legacy", "connect")._value.get()
    response = client.get("/api/echo", headers={"X-Request-ID": "rid-502"})
    assert response.status_code == 502
    assert response.get_json() == {"errors": {"proxy": ["legacy unreachable"]},
                                   "requestId": "rid-502"}
    assert metrics.UPSTREAM_ERRORS.labels("legacy", "connect")._value.get() == errors + 1


def test_slow_legacy_is_504_json(make_proxy) -> None:
    response = make_proxy(ROUTES).test_client().get("/api/slow?seconds=2")
    assert response.status_code == 504
    assert response.get_json()["errors"] == {"proxy": ["legacy timed out"]}


def test_health_reports_the_table_and_legacy(make_proxy) -> None:
    client = make_proxy(ROUTES).test_client()
    body = client.get("/health").get_json()
    assert body["status"] == "ok"
    assert body["checks"]["legacy"]["ok"] is True
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["routes"]["version"]
    assert body["checks"]["routes"]["last_reload_error"] is None
    down = make_proxy(ROUTES, LEGACY_URL=None).test_client().get("/health")
    assert down.status_code == 503
    assert down.get_json()["checks"]["legacy"] == {"ok": False, "url": "http://127.0.0.1:9",
                                                    "error": "connect"}


def test_metrics_use_route_templates_only(make_proxy) -> None:
    client = make_proxy(ROUTES).test_client()
    client.post("/api/articles/some-unique-slug-123/comments", data=b"{}").close()
    client.get("/api/not-listed-path-456").close()
    page = client.get("/metrics").get_data(as_text=True)
    assert 'route="POST /api/articles/:slug/comments"' in page
    assert 'route="unmatched"' in page
    assert "some-unique-slug-123" not in page and "not-listed-path-456" not in page
    assert "strangler_proxy_requests_in_flight" in page


def test_access_log_is_one_json_line(make_proxy) -> None:
    client = make_proxy(ROUTES).test_client()
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    access_logger.addHandler(handler)
    try:
        client.get("/api/tags", headers={"X-Request-ID": "rid-log"}).close()
    finally:
        access_logger.removeHandler(handler)
    lines = [json.loads(r.getMessage()) for r in records if '"rid-log"' in r.getMessage()]
    assert len(lines) == 1
    assert lines[0]["route"] == "GET /api/tags"
    assert lines[0]["side"] == "flask"
    assert lines[0]["status"] == 200
    assert lines[0]["duration_ms"] >= lines[0]["upstream_ms"] >= 0


def test_runtime_decide_names_route_settings_and_side(make_proxy) -> None:
    runtime = make_proxy(ROUTES).extensions["strangler"]
    decision = runtime.decide({"REQUEST_METHOD": "POST", "RAW_URI": "/api/articles/x/comments/",
                               "REMOTE_ADDR": "127.0.0.1"})
    assert decision.template == "POST /api/articles/:slug/comments"
    assert decision.route.entry.writes == "skip"
    assert (decision.side, decision.path) == ("flask", "/api/articles/x/comments")


def test_unknown_methods_share_one_metric_label(make_proxy) -> None:
    client = make_proxy(ROUTES).test_client()
    for index in range(20):
        client.open("/api/echo", method=f"X{index}METHOD").close()
    page = client.get("/metrics").get_data(as_text=True)
    assert "X1METHOD" not in page
    assert 'method="OTHER",route="unmatched"' in page


def test_the_dashboard_prefix_setting_decides_what_the_proxy_keeps(make_proxy,
                                                                   monkeypatch) -> None:
    from rollout import create_app as create_served_app  # the proxy with its dashboard

    monkeypatch.setenv("STRANGLER_DASHBOARD_PREFIX", "/ops")
    client = make_proxy(ROUTES, factory=create_served_app).test_client()
    response = client.get("/_strangler/echo")  # no longer reserved: forwarded to legacy
    assert response.status_code == 200
    assert response.get_json()["path"] == "/_strangler/echo"
    assert client.get("/ops/").status_code == 302  # the dashboard's login redirect
