"""Every dashboard URL refuses anonymous access, found by walking the URL map."""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest
from flask import Flask

from rollout.dashboard.blueprint import PUBLIC_ENDPOINTS

SAMPLE_VALUES = {"method": "GET", "path": "api/tags", "rest": "anything", "filename": "x.css",
                 "action": "pause"}


def dashboard_requests(proxy_app: Flask) -> list[tuple[str, str, str]]:
    """Return (endpoint, method, url) for every rule under the prefix, public ones excluded."""
    found = []
    with proxy_app.test_request_context():
        for rule in proxy_app.url_map.iter_rules():
            if not rule.endpoint.startswith("dashboard.") or rule.endpoint in PUBLIC_ENDPOINTS:
                continue
            url = rule.build({name: SAMPLE_VALUES[name] for name in rule.arguments})[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, url))
    return found


def test_only_the_login_form_and_static_files_are_public(proxy_app):
    public = {rule.endpoint for rule in proxy_app.url_map.iter_rules()
              if rule.endpoint in PUBLIC_ENDPOINTS}
    assert public == {"dashboard.login", "dashboard.static"}
    endpoints = {endpoint for endpoint, _, _ in dashboard_requests(proxy_app)}
    assert {"dashboard.overview", "dashboard.route_page", "dashboard.flip", "dashboard.audit",
            "dashboard.overview_json", "dashboard.logout", "dashboard.unknown",
            "dashboard.accept_noise", "dashboard.rollout_page", "dashboard.rollout_json",
            "dashboard.rollout_action"} <= endpoints


def test_every_dashboard_url_sends_anonymous_pages_to_the_login_form(proxy_app):
    client = proxy_app.test_client()
    for endpoint, method, url in dashboard_requests(proxy_app):
        response = client.open(url, method=method, headers={"Accept": "text/html"})
        if url.startswith("/_strangler/api/"):  # JSON whatever the Accept header
            assert response.status_code == 401, (endpoint, method, url)
            continue
        assert response.status_code == 302, (endpoint, method, url)
        assert response.location.startswith("/_strangler/login"), (endpoint, url)


def test_every_dashboard_url_answers_anonymous_json_with_401(proxy_app):
    client = proxy_app.test_client()
    for endpoint, method, url in dashboard_requests(proxy_app):
        response = client.open(url, method=method, headers={"Accept": "application/json"})
        assert response.status_code == 401, (endpoint, method, url)
        assert response.get_json() == {"error": "authentication required"}


def test_the_api_answers_401_whatever_the_accept_header(client):
    response = client.get("/_strangler/api/overview", headers={"Accept": "text/html"})
    assert response.status_code == 401
    assert response.get_json() == {"error": "authentication required"}


def test_the_login_redirect_comes_back_to_the_page_asked_for(client, login):
    asked = client.get("/_strangler/audit")
    assert asked.location == "/_strangler/login?next=/_strangler/audit"
    token_page = client.get(asked.location)
    assert 'name="next" value="/_strangler/audit"' in token_page.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "status"),
    [("/_strangler", 308), ("/_strangler/", 302), ("/_strangler/api/tags", 401),
     ("/_strangler/articles", 302)],
)
def test_nothing_under_the_prefix_is_forwarded_upstream(client, path, status):
    # routes.yaml sends everything else to legacy at 127.0.0.1:9, which would answer 502.
    response = client.get(path)
    assert response.status_code == status
    if status != 401:
        assert "/_strangler/" in response.location


def test_the_bare_prefix_redirects_relatively_whatever_the_host(client):
    response = client.get("/_strangler?window=1h", headers={"Host": "evil.example"})
    assert response.status_code == 308
    assert response.headers["Location"] == "/_strangler/?window=1h"


@pytest.mark.parametrize("path", [
    "//_strangler/", "//_strangler/login", "/_STRANGLER/", "/_Strangler/login",
    "/%5Fstrangler/", "/_strangler;x/", "/_strangler;x", "/_STRANGLER", "///_strangler//api",
])
def test_other_spellings_of_the_prefix_are_reserved_too(client, path):
    # Routing sees these as the prefix (canonical path); legacy at 127.0.0.1:9 would be a 502.
    # The environ is gunicorn's: PATH_INFO decoded, RAW_URI as sent (the test client would
    # read "//_strangler/" as a host name).
    response = client.get("/", environ_overrides={"PATH_INFO": unquote(path), "RAW_URI": path,
                                                  "REQUEST_URI": path})
    assert response.status_code == 404
    assert response.get_json() == {"error": "not found", "dashboard": "/_strangler/"}


def test_pages_forbid_framing_and_foreign_scripts(client, login):
    for response in (client.get("/_strangler/login"), client.get("/_strangler/"),
                     client.get("/_strangler/nothing-here")):
        assert response.headers["X-Frame-Options"] == "DENY"
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("chunked", [False, True])
def test_bodies_under_the_prefix_are_small(client, chunked):
    body = b"username=" + b"x" * (1024 * 1024)
    stream = io.BytesIO(body)
    if chunked:  # no length: the server marks the stream as terminated (gunicorn does)
        response = client.post("/_strangler/login", environ_overrides={
            "wsgi.input": stream, "wsgi.input_terminated": True, "CONTENT_LENGTH": "",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "HTTP_TRANSFER_ENCODING": "chunked"})
        # Werkzeug reads up to the limit and parses that (no token in it: refused).
        assert response.status_code == 400
        assert stream.tell() <= 64 * 1024 + 1
    else:
        response = client.post("/_strangler/login", data=body,
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code == 413


def test_a_logged_in_unknown_url_under_the_prefix_is_a_404_page(client, login):
    login(client, "vera")
    response = client.get("/_strangler/api/tags")
    assert response.status_code == 404
    assert response.get_json() == {"error": "not found"}
    assert client.get("/_strangler/no-such-page").status_code == 404


def test_the_prefix_is_configurable(make_app, monkeypatch):
    monkeypatch.setenv("STRANGLER_DASHBOARD_PREFIX", "/ops/")
    client = make_app().test_client()
    response = client.get("/ops/")
    assert response.status_code == 302
    assert response.location.startswith("/ops/login")
    assert client.get("/ops/login").status_code == 200
