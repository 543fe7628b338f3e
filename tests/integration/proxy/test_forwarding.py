"""The proxy under gunicorn, forwarding to a threaded upstream: the RFC edge cases."""

from __future__ import annotations

import gzip
import http.client
import json
from pathlib import Path

import httpx
import pytest

from tests.support.processes import ServerProcess, rss_kib, worker_pids
from tests.support.upstream import GZIPPED, ROUTES, Upstream


@pytest.fixture(scope="module")
def proxy(start_proxy, upstream: Upstream, sqlite_database: str,
          tmp_path_factory: pytest.TempPathFactory) -> ServerProcess:
    routes = tmp_path_factory.mktemp("forwarding") / "routes.yaml"
    routes.write_text(ROUTES)
    return start_proxy(routes, sqlite_database, LEGACY_URL=upstream.url, WEB_CONCURRENCY="1",
                       PROXY_MAX_BODY_BYTES=str(1024 * 1024))


def raw_request(proxy: ServerProcess, method: str, path: str, headers: dict[str, str],
                body: bytes | None = None) -> tuple[http.client.HTTPResponse, bytes]:
    """Send a request with exactly these headers (no client library rewriting them)."""
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in {"Host": f"127.0.0.1:{proxy.port}", **headers}.items():
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, data


def echo(proxy: ServerProcess, headers: dict[str, str]) -> dict[str, str]:
    response, data = raw_request(proxy, "GET", "/api/echo", headers)
    assert response.status == 200
    return dict(json.loads(data)["headers"])


def test_hop_by_hop_request_headers_are_stripped(proxy: ServerProcess) -> None:
    seen = echo(proxy, {"Connection": "keep-alive, X-Secret-Hop", "X-Secret-Hop": "1",
                        "Keep-Alive": "timeout=5", "TE": "trailers",
                        "Proxy-Authorization": "Basic Zm9v", "X-End-To-End": "kept"})
    for name in ("x-secret-hop", "keep-alive", "te", "proxy-authorization"):
        assert name not in seen
    assert seen.get("connection", "keep-alive") == "keep-alive"  # urllib3's own, if any
    assert seen["x-end-to-end"] == "kept"


def test_repeated_headers_reach_the_upstream_merged_as_node_reads_them(
        proxy: ServerProcess) -> None:
    """Both sides must read repeated lines as legacy's Node server does: first Authorization
    wins, Cookie lines joined with "; ", the rest with ", " (gunicorn alone joins with ",")."""
    connection = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    connection.putrequest("GET", "/api/echo", skip_host=True, skip_accept_encoding=True)
    for name, value in [("Host", f"127.0.0.1:{proxy.port}"), ("Authorization", "Token first"),
                        ("Authorization", "Token second"), ("Cookie", "a=1"), ("Cookie", "b=2"),
                        ("X-Note", "one"), ("X-Note", "two")]:
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    seen = dict(json.loads(response.read())["headers"])
    connection.close()
    assert response.status == 200
    assert seen["authorization"] == "Token first"
    assert seen["cookie"] == "a=1; b=2"
    assert seen["x-note"] == "one, two"


def test_hop_by_hop_response_headers_are_stripped(proxy: ServerProcess) -> None:
    response, _ = raw_request(proxy, "GET", "/api/hop", {})
    names = {name.lower() for name, _ in response.getheaders()}
    assert not names & {"x-hop-secret", "keep-alive", "proxy-authenticate"}
    assert response.getheader("X-End-To-End") == "kept"
    assert [name for name, _ in response.getheaders()].count("Date") == 1
    assert [v for k, v in response.getheaders() if k.lower() == "set-cookie"] == ["a=1", "b=2"]


def test_forwarding_headers_and_request_id(proxy: ServerProcess) -> None:
    response, data = raw_request(proxy, "GET", "/api/echo", {
        "Host": "api.example.test", "X-Request-ID": "req-123", "Via": "1.0 corp"})
    seen = dict(json.loads(data)["headers"])
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == "api.example.test"
    assert seen["via"] == "1.0 corp, 1.1 strangler"
    assert seen["x-request-id"] == "req-123"
    assert response.getheader("X-Request-ID") == "req-123"
    assert response.getheader("Via") == "1.1 strangler"


def test_forged_internal_headers_are_stripped(proxy: ServerProcess) -> None:
    seen = echo(proxy, {"X-Forwarded-For": "6.6.6.6", "X-Forwarded-Host": "evil.test",
                        "X-Forwarded-Proto": "https", "Forwarded": "for=6.6.6.6",
                        "X-Real-IP": "6.6.6.6", "X-Strangler-Side": "flask",
                        "X-Strangler-Shadow": "1"})
    assert seen["x-forwarded-for"] == "127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] != "evil.test"
    assert not {"forwarded", "x-real-ip", "x-strangler-side", "x-strangler-shadow"} & set(seen)


def test_a_large_streamed_response_keeps_proxy_memory_bounded(proxy: ServerProcess) -> None:
    (worker,) = worker_pids(proxy)
    httpx.get(proxy.url + "/api/stream?mb=1").raise_for_status()  # warm the worker up
    before = rss_kib(worker)
    peak, received = before, 0
    with httpx.stream("GET", proxy.url + "/api/stream?mb=400", timeout=60) as response:
        for chunk in response.iter_raw(1024 * 1024):
            received += len(chunk)
            peak = max(peak, rss_kib(worker))
    assert received == 400 * 1024 * 1024
    assert peak - before < 32 * 1024, f"worker grew by {(peak - before) // 1024} MiB"


def test_redirects_are_passed_through_not_followed(proxy: ServerProcess) -> None:
    response, body = raw_request(proxy, "GET", "/api/redirect", {})
    assert response.status == 302
    assert response.getheader("Location") == "/api/echo?redirected=1"
    assert body == b""


def test_gzip_is_passed_through_undecoded(proxy: ServerProcess) -> None:
    response, body = raw_request(proxy, "GET", "/api/gzip", {"Accept-Encoding": "gzip"})
    assert response.getheader("Content-Encoding") == "gzip"
    assert int(response.getheader("Content-Length")) == len(GZIPPED)
    assert body == GZIPPED
    assert gzip.decompress(body).startswith(b'{"tags":["gzip"]}')


def test_request_bodies_over_the_limit_are_413(proxy: ServerProcess) -> None:
    response, body = raw_request(proxy, "POST", "/api/echo", {}, b"x" * (1024 * 1024 + 1))
    assert response.status == 413
    assert json.loads(body)["requestId"] == response.getheader("X-Request-ID")
    chunked = httpx.post(proxy.url + "/api/echo", content=iter([b"x" * 65536] * 17))
    assert chunked.status_code == 413
    fits = httpx.post(proxy.url + "/api/echo", content=iter([b"x" * 65536] * 16))
    assert fits.json()["body_length"] == 1024 * 1024


def test_a_slow_upstream_is_504_json(proxy: ServerProcess) -> None:
    response = httpx.get(proxy.url + "/api/slow?seconds=3", headers={"X-Request-ID": "slow-1"})
    assert response.status_code == 504
    assert response.json() == {"errors": {"proxy": ["legacy timed out"]}, "requestId": "slow-1"}
    assert httpx.get(proxy.url + "/api/echo").status_code == 200


def test_metrics_count_by_template_side_and_status(proxy: ServerProcess) -> None:
    httpx.get(proxy.url + "/api/echo").raise_for_status()
    page = httpx.get(proxy.url + "/metrics").text
    assert ('strangler_proxy_requests_total{method="GET",route="GET /api/echo",side="legacy",'
            'status_class="2xx"}') in page
    assert 'strangler_proxy_upstream_errors_total{kind="timeout",side="legacy"}' in page
    assert "/api/stream" not in page


def test_no_traceback_in_the_proxy_log(proxy: ServerProcess) -> None:
    assert "Traceback" not in Path(proxy.log_path).read_text()
