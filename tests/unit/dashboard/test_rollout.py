"""The rollout page: plan, gate against thresholds, history; operators pause and abort."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.dashboard import ROUTES, csrf_token

PAGE = "/_strangler/rollout"
PLANNED = ROUTES.replace("    shadow: flask           # compared, not served\n",
                         "    shadow: flask           # compared, not served\n"
                         "    rollout: default\n")


@pytest.fixture
def planned(routes_file: Path) -> Path:
    routes_file.write_text(PLANNED)
    return routes_file


def act(client, action: str, route: str = "GET/api/tags"):
    token = csrf_token(client, PAGE)
    return client.post(f"{PAGE}/{action}/{route}", data={"csrf_token": token})


def test_the_page_shows_the_plan_the_thresholds_and_what_next(client, login, planned) -> None:
    login(client, "vera")
    page = client.get(PAGE).get_data(as_text=True)
    assert '<li class="current" aria-current="step">shadow</li>' in page
    assert "canary 1%" in page and "flask</li>" in page
    assert "(allowed 0.0100: parity 99.0%)" in page and "(at least 500 judged)" in page
    assert "first evaluation at the controller&#39;s next tick" in page
    assert "Pause" not in page  # viewers see no controls
    assert client.get("/_strangler/api/rollout").get_json()["routes"][0]["route"] == \
        "GET /api/tags"


def test_an_operator_pauses_resumes_and_aborts_audited(client, login, planned) -> None:
    login(client, "otto")
    assert act(client, "pause").status_code == 302
    page = client.get(PAGE).get_data(as_text=True)
    assert "paused by otto: from the dashboard" in page and ">Resume</button>" in page
    act(client, "resume")
    page = client.get(PAGE).get_data(as_text=True)
    assert "resumed by otto (was paused)" in page and ">Pause</button>" in page
    act(client, "abort")
    page = client.get(PAGE).get_data(as_text=True)
    assert "rollout aborted by otto" in page and "<em class=\"status\">aborted</em>" in page


def test_a_viewer_cannot_act_and_a_missing_token_is_refused(client, login, planned) -> None:
    login(client, "vera")
    assert act(client, "pause").status_code == 403
    login(client, "otto")
    assert client.post(f"{PAGE}/pause/GET/api/tags").status_code == 400
    assert act(client, "pause", "GET/api/articles/:slug").status_code == 302
    assert "has no rollout plan" in client.get(PAGE).get_data(as_text=True)
