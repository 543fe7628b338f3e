from __future__ import annotations

from proxy import headers
from proxy.headers import client_address, downstream_headers, request_id, upstream_headers

ENVIRON = {
    "REMOTE_ADDR": "192.0.2.7",
    "wsgi.url_scheme": "http",
    "HTTP_HOST": "api.example.test",
    "HTTP_CONNECTION": "keep-alive, X-Drop-Me",
    "HTTP_X_DROP_ME": "secret",
    "HTTP_KEEP_ALIVE": "timeout=5",
    "HTTP_TE": "trailers",
    "HTTP_UPGRADE": "websocket",
    "HTTP_PROXY_AUTHORIZATION": "Basic Zm9v",
    "HTTP_X_FORWARDED_FOR": "6.6.6.6",
    "HTTP_X_FORWARDED_HOST": "evil.test",
    "HTTP_FORWARDED": "for=6.6.6.6",
    "HTTP_X_STRANGLER_SIDE": "flask",
    "HTTP_AUTHORIZATION": "Token abc",
    "HTTP_VIA": "1.0 corp-proxy",
    "CONTENT_TYPE": "application/json",
    "CONTENT_LENGTH": "12",
}


def test_upstream_headers_drop_hop_by_hop_and_forged_ones() -> None:
    headers = upstream_headers(ENVIRON, "rid-1")
    for name in ("connection", "x-drop-me", "keep-alive", "te", "upgrade",
                 "proxy-authorization", "forwarded", "x-strangler-side", "host"):
        assert name not in headers
    assert headers["authorization"] == "Token abc"
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == "12"


def test_upstream_headers_set_forwarding_headers() -> None:
    headers = upstream_headers(ENVIRON, "rid-1")
    assert headers["x-forwarded-for"] == "192.0.2.7"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-host"] == "api.example.test"
    assert headers["via"] == "1.0 corp-proxy, 1.1 strangler"
    assert headers["x-request-id"] == "rid-1"


def test_downstream_headers_drop_hop_by_hop_and_keep_repeats() -> None:
    out = downstream_headers(
        [("Connection", "X-Hop"), ("X-Hop", "1"), ("Transfer-Encoding", "chunked"),
         ("Keep-Alive", "timeout=5"), ("Date", "x"), ("Server", "y"), ("Set-Cookie", "a=1"),
         ("Set-Cookie", "b=2"),
         ("X-Request-ID", "forged")],
        "rid-2",
    )
    assert out == [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Via", "1.1 strangler"),
                   ("X-Request-ID", "rid-2")]


def test_request_id_is_accepted_only_when_sane() -> None:
    assert request_id({"HTTP_X_REQUEST_ID": "abc-123"}) == "abc-123"
    for bad in ("", "a b", "x" * 200, "evil\r\nInjected: 1", "<script>"):
        generated = request_id({"HTTP_X_REQUEST_ID": bad})
        assert generated != bad and len(generated) == 32


def test_x_real_ip_is_believed_only_from_trusted_peers(monkeypatch) -> None:
    environ = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_REAL_IP": "203.0.113.7",
               "HTTP_X_FORWARDED_FOR": "6.6.6.6"}
    monkeypatch.setattr(headers, "_trusted_peers", frozenset())  # restored after the test
    assert client_address(environ) == "10.0.0.2"  # FORWARDED_ALLOW_IPS unset: nobody
    assert upstream_headers(environ, "r")["x-forwarded-for"] == "10.0.0.2"
    headers.trust("127.0.0.1, 10.0.0.2")  # FORWARDED_ALLOW_IPS, as create_app passes it
    assert client_address(environ) == "203.0.113.7"  # nginx's X-Real-IP
    assert upstream_headers(environ, "r")["x-forwarded-for"] == "203.0.113.7"
    assert client_address({**environ, "HTTP_X_REAL_IP": "not an address"}) == "10.0.0.2"
    assert client_address({**environ, "REMOTE_ADDR": "10.0.0.3"}) == "10.0.0.3"
