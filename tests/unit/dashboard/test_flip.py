"""Operators flip routes through the proxy's flip code; viewers cannot; all of it is audited."""

from __future__ import annotations

from tests.support.dashboard import ROUTES, csrf_token

TAGS = "/_strangler/routes/GET/api/tags"


def flip(client, state: str, **fields: str):
    token = csrf_token(client, TAGS)
    return client.post(f"{TAGS}/flip", data={"state": state, "csrf_token": token, **fields})


def test_an_operator_flip_edits_routes_yaml_keeping_comments_and_is_audited(
    client, login, routes_file
):
    login(client, "otto")
    response = flip(client, "canary", percent="25", reason="parity 100% for a day")
    assert response.status_code == 302
    text = routes_file.read_text()
    assert "serve: {flask: 25, legacy: 75}" in text
    assert "# Tags are the first thing we move." in text
    assert "# compared, not served" not in text or "shadow: true" in text
    page = client.get(response.location).get_data(as_text=True)
    assert "GET /api/tags: shadow → canary 25" in page
    audit = client.get("/_strangler/audit").get_data(as_text=True)
    assert "otto" in audit and "canary 25%" in audit and "parity 100% for a day" in audit


def test_flipping_back_is_one_more_audited_flip(client, login, routes_file):
    login(client, "otto")
    flip(client, "flask")
    flip(client, "legacy")
    text = routes_file.read_text()
    assert "serve: legacy" in text and "shadow: flask" not in text.split("GET /api/tags")[1][:60]
    audit = client.get("/_strangler/audit").get_data(as_text=True)
    assert audit.index("flask") < audit.index("shadow")  # newest first
    assert audit.count("<td>otto</td>") >= 2


def test_a_viewer_cannot_flip(client, login, routes_file):
    login(client, "vera")
    page = client.get(TAGS).get_data(as_text=True)
    assert 'class="flip"' not in page
    token = csrf_token(client, "/_strangler/")
    response = client.post(f"{TAGS}/flip", data={"state": "flask", "csrf_token": token})
    assert response.status_code == 403
    assert routes_file.read_text() == ROUTES


def test_an_invalid_state_changes_nothing_and_says_why(client, login, routes_file):
    login(client, "otto")
    response = flip(client, "canary", percent="150")
    assert routes_file.read_text() == ROUTES
    page = client.get(response.location).get_data(as_text=True)
    assert "Not flipped: unknown state" in page


def test_a_flip_the_backend_cannot_serve_is_refused_by_validation(client, login, routes_file):
    login(client, "otto")
    token = csrf_token(client, TAGS)
    response = client.post("/_strangler/routes/GET/api/nothing-here/flip",
                           data={"state": "flask", "csrf_token": token})
    assert routes_file.read_text() == ROUTES
    page = client.get(response.location).get_data(as_text=True)
    assert "the Flask backend does not implement GET /api/nothing-here" in page


def test_yaml_in_the_form_fields_never_reaches_routes_yaml_as_yaml(client, login, routes_file):
    login(client, "otto")
    injected = "ok\n  - route: GET /api/user\n    serve: flask\ndefault: flask\n# "
    flip(client, "flask", reason=injected, percent="10\nshadow: legacy")
    text = routes_file.read_text()
    assert "default: flask" not in text and "GET /api/user" not in text
    token = csrf_token(client, TAGS)
    response = client.post("/_strangler/routes/GET/api/tags%0A%20%20serve:%20flask/flip",
                           data={"state": "legacy", "csrf_token": token})
    assert response.status_code in (302, 404)
    assert routes_file.read_text() == text  # the route name is never written as given
    audit = client.get("/_strangler/audit").get_data(as_text=True)
    assert "default: flask" in audit  # the reason is kept, as text, in the audit log
