"""The dashboard in real headless Chromium against the real stack.

Screenshots go to tests/artifacts/dashboard-*.png.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from rollout.dashboard.readiness import ATTENTION
from shadow.store import ParityStore, engine_from_url
from tests.integration.dashboard.traffic import shadow_traffic
from tests.support.browser import ROUTES, log_in
from tests.support.seeding import seed

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]
SEEDED = "GET /api/user"  # a route with a seeded mismatch at body.tags[1]


@pytest.fixture(scope="module")
def traffic(stack):
    """Create an author and an article through the proxy, then read them through it: the
    proxy mirrors each read to Flask and records the comparison."""
    with httpx.Client(base_url=stack.proxy.url, timeout=10) as client:
        user = client.post("/api/users", json={"user": {
            "username": "alice", "email": "alice@example.com", "password": "alice-password"}})
        assert user.status_code in (200, 201), user.text
        token = user.json()["user"]["token"]
        article = client.post("/api/articles", headers={"Authorization": f"Token {token}"},
                              json={"article": {"title": "Dragons", "description": "d",
                                                "body": "b", "tagList": ["dragons", "x"]}})
        assert article.status_code in (200, 201), article.text
        slug = article.json()["article"]["slug"]
    requests = (
        [("GET /api/tags", "/api/tags")] * 12
        + [("GET /api/articles", "/api/articles")] * 8
        + [("GET /api/articles/:slug", f"/api/articles/{slug}")] * 6
        + [("GET /api/profiles/:username", "/api/profiles/alice")] * 4
    )
    shadow_traffic(stack.proxy.url, stack.database_url, requests)
    engine = engine_from_url(stack.database_url)
    try:
        seed(engine, SEEDED, matches=3, mismatches=1)
        ParityStore(engine).record_noise("GET /api/articles", ["body.articles[*].updatedAt"])
    finally:
        engine.dispose()
    return {"GET /api/tags": 12, "GET /api/articles": 8, "GET /api/articles/:slug": 6,
            "GET /api/profiles/:username": 4}


def parity_of(page, route: str) -> str:
    return page.locator(f"tr[data-route='{route}'] .parity").inner_text()


def test_overview_route_page_flip_and_audit_as_an_operator(stack, traffic, browser,
                                                          artifacts_dir):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(stack.dashboard + "/")
    page.screenshot(path=artifacts_dir / "dashboard-login.png")
    log_in(page, stack, "otto")

    # Overview: every mirrored route with the number of comparisons behind it.
    for route, count in traffic.items():
        row = page.locator(f"tr[data-route='{route}']")
        assert row.locator("td").nth(4).inner_text() == str(count)
        assert row.locator(".parity").inner_text().endswith("%")
    tags = page.locator("tr[data-route='GET /api/tags'] .verdict").inner_text()
    assert tags == ("ready to flip" if parity_of(page, "GET /api/tags") == "100.00%" else "differs")
    seeded = page.locator(f"tr[data-route='{SEEDED}']")
    assert seeded.locator(".parity").inner_text() == "75.00%"
    # What needs attention is on top: verdict classes come in ATTENTION order.
    classes = page.locator("table.routes tbody tr").evaluate_all(
        "rows => rows.map(r => r.className)")
    ranks = [ATTENTION[c.removeprefix("verdict-").replace("-", " ")] for c in classes]
    assert ranks == sorted(ranks) and ranks[0] <= ATTENTION["differs"]
    page.screenshot(path=artifacts_dir / "dashboard-overview.png", full_page=True)

    # Route page of the seeded mismatch: the differing field is highlighted on both sides.
    seeded.locator("a").click()
    page.wait_for_url("**/routes/GET/api/user")
    highlighted = page.locator(".diff .line.differs[data-path='body.tags[1]']")
    assert highlighted.count() == 2
    assert highlighted.nth(0).is_visible()
    assert '"welcome"' in highlighted.nth(0).inner_text()
    assert '"training"' in highlighted.nth(1).inner_text()
    assert page.locator(".diff .line.differs[data-path='body.tags[0]']").count() == 0
    assert page.locator("svg.chart polyline").count() == 1
    page.screenshot(path=artifacts_dir / "dashboard-route-mismatch.png", full_page=True)

    # Flip GET /api/tags to flask: routes.yaml changes (comments kept), the proxy follows.
    page.goto(stack.dashboard + "/routes/GET/api/tags")
    page.select_option("select[name=state]", "flask")
    page.fill("input[name=reason]", "parity 100% in the browser test")
    page.click("form.flip button[type=submit]")
    page.wait_for_selector(".flash.ok")
    assert "GET /api/tags: shadow → flask" in page.locator(".flash.ok").inner_text()
    assert page.locator("#route-state").inner_text() == "flask"
    text = stack.routes_file.read_text()
    assert "# first to move" in text and "# The browser tests' route table" in text
    assert text.split("GET /api/tags")[1].split("- route")[0].count("serve: flask") == 1
    assert served_by_flask(stack.proxy, "/api/tags")
    page.screenshot(path=artifacts_dir / "dashboard-route-flipped.png", full_page=True)

    # Accept a noise candidate: it joins the route's ignore: list, audited.
    page.goto(stack.dashboard + "/routes/GET/api/articles")
    page.click("button.accept")
    page.wait_for_selector(".flash.ok")
    assert "now ignores body.articles[*].updatedAt" in page.locator(".flash.ok").inner_text()
    articles = stack.routes_file.read_text().split("- route: GET /api/articles\n")[1]
    assert "ignore:" in articles.split("- route")[0]
    assert "body.articles[*].updatedAt" in articles.split("- route")[0]
    page.screenshot(path=artifacts_dir / "dashboard-noise-accepted.png", full_page=True)

    page.click("text=Audit log")
    rows = page.locator("table.audit tbody tr")
    assert "shadow ignore += body.articles[*].updatedAt" in rows.nth(0).inner_text()
    assert "otto" in rows.nth(1).inner_text() and "flask" in rows.nth(1).inner_text()
    assert "parity 100% in the browser test" in rows.nth(1).inner_text()
    page.screenshot(path=artifacts_dir / "dashboard-audit.png", full_page=True)

    # A POST without the CSRF token is refused, with the session cookie of a logged-in operator.
    before = stack.routes_file.read_text()
    refused = page.request.post(stack.dashboard + "/routes/GET/api/articles/flip",
                                form={"state": "flask"})
    assert refused.status == 400
    assert stack.routes_file.read_text() == before
    context.close()


def test_a_viewer_sees_the_pages_but_cannot_flip(stack, traffic, browser, artifacts_dir):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    log_in(page, stack, "vera")
    page.goto(stack.dashboard + "/routes/GET/api/articles")
    assert page.locator("form.flip").count() == 0
    before = stack.routes_file.read_text()
    # Even with a valid CSRF token, the flip endpoint refuses a viewer.
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = page.request.post(stack.dashboard + "/routes/GET/api/articles/flip",
                                form={"state": "flask", "csrf_token": token})
    assert refused.status == 403
    assert stack.routes_file.read_text() == before
    page.screenshot(path=artifacts_dir / "dashboard-viewer.png", full_page=True)
    context.close()


def test_anonymous_requests_are_refused_by_the_served_proxy(stack):
    with httpx.Client(base_url=stack.proxy.url, timeout=10) as client:
        page = client.get("/_strangler/audit")
        assert page.status_code == 302
        assert page.headers["location"].startswith("/_strangler/login")
        api = client.get("/_strangler/api/overview")
        assert api.status_code == 401
        assert api.json() == {"error": "authentication required"}
        assert "x-powered-by" not in client.get("/_strangler/anything").headers  # not legacy
    assert ROUTES.splitlines()[0] in stack.routes_file.read_text()


def served_by_flask(proxy, path: str, attempts: int = 50) -> bool:
    """Poll until the proxy's access log says it served ``path`` from Flask."""
    for i in range(attempts):
        rid = f"flip-check-{i}"
        httpx.get(proxy.url + path, headers={"X-Request-ID": rid}, timeout=5)
        time.sleep(0.1)
        for line in proxy.log_path.read_text().splitlines():
            if f'"request_id":"{rid}"' in line:
                if json.loads(line)["side"] == "flask":
                    return True
    return False


def test_the_proxy_serves_the_metrics_the_grafana_dashboard_reads(stack, traffic):
    exposition = httpx.get(stack.proxy.url + "/metrics", timeout=10).text
    for series in ('shadow_comparisons_total{outcome="match",route="GET /api/tags"}',
                   'shadow_candidate_seconds_bucket{le="+Inf",route="GET /api/tags"}',
                   'strangler_proxy_upstream_duration_seconds_bucket{le="+Inf",'
                   'route="GET /api/tags",side="legacy"}'):
        assert series in exposition, series
