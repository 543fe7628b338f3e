"""Operators accept a noise candidate as an ignore rule, through the CLI's code, audited."""

from __future__ import annotations

import pytest

from backend.database import db
from shadow.store import ParityStore
from tests.support.dashboard import ROUTES, csrf_token

TAGS = "/_strangler/routes/GET/api/tags"


@pytest.fixture
def noisy(proxy_app):
    with proxy_app.app_context():
        ParityStore(db.engine).record_noise("GET /api/tags", ["body.generatedAt"])
    return proxy_app


def accept(client, path: str = "body.generatedAt"):
    token = csrf_token(client, TAGS)
    return client.post(f"{TAGS}/ignore", data={"path": path, "csrf_token": token})


def test_an_operator_accepts_noise_into_routes_yaml_and_the_audit_log(noisy, login, routes_file):
    client = noisy.test_client()
    login(client, "otto")
    page = client.get(TAGS).get_data(as_text=True)
    assert "Accept as ignore rule" in page
    response = accept(client)
    assert response.status_code == 302
    text = routes_file.read_text()
    assert "ignore:" in text and "- body.generatedAt" in text
    assert "# Tags are the first thing we move." in text
    page = client.get(TAGS).get_data(as_text=True)
    assert "GET /api/tags: now ignores body.generatedAt" in page
    assert '<span class="state">ignored</span>' in page
    audit = client.get("/_strangler/audit").get_data(as_text=True)
    assert "shadow ignore += body.generatedAt" in audit
    again = accept(client)
    assert "already ignores" in client.get(again.location).get_data(as_text=True)


def test_a_viewer_cannot_accept_noise(noisy, login, routes_file):
    client = noisy.test_client()
    login(client, "vera")
    assert "Accept as ignore rule" not in client.get(TAGS).get_data(as_text=True)
    assert accept(client).status_code == 403
    assert routes_file.read_text() == ROUTES


def test_accepting_needs_the_csrf_token(noisy, login, routes_file):
    client = noisy.test_client()
    login(client, "otto")
    response = client.post(f"{TAGS}/ignore", data={"path": "body.generatedAt"})
    assert response.status_code == 400
    assert routes_file.read_text() == ROUTES


def test_a_bad_path_is_refused_by_validation(noisy, login, routes_file):
    client = noisy.test_client()
    login(client, "otto")
    response = accept(client, "not a path[")
    assert routes_file.read_text() == ROUTES
    assert "Not ignored:" in client.get(response.location).get_data(as_text=True)
