"""The dashboard's traffic, parity chart and legacy page in real headless Chromium, on a real
proxy in front of real legacy: the traffic figure is every request sent (not only the
shadowed ones), and the chart's time labels fall within the window it shows.

Screenshots go to tests/artifacts/dashboard-traffic-*.png.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.integration.dashboard.traffic import shadow_traffic
from tests.support.browser import log_in
from tests.support.traffic import wait_for_traffic

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]
TAGS, ARTICLES = "GET /api/tags", "GET /api/articles"
ORIGIN = "http://app.example.test"


@pytest.fixture(scope="module")
def sent(stack) -> dict[str, int]:
    """Send GETs (shadowed: legacy serves, Flask compared), a HEAD and a preflight through
    the proxy; wait until the store holds their comparisons and their counts."""
    shadow_traffic(stack.proxy.url, stack.database_url,
                   [(TAGS, "/api/tags")] * 21 + [(ARTICLES, "/api/articles")] * 4)
    with httpx.Client(base_url=stack.proxy.url, timeout=10) as api:
        assert api.head("/api/tags").status_code == 200
        assert api.options("/api/tags", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "GET"}).status_code < 300
    wait_for_traffic(stack.database_url, 21 + 4 + 2)
    return {TAGS: 21 + 2, ARTICLES: 4}


def test_the_traffic_figure_is_every_request_sent(stack, sent, browser, artifacts_dir):
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    log_in(page, stack, "vera")
    page.goto(stack.dashboard + "/?window=1h")
    for route, count in sent.items():
        row = page.locator(f"tr[data-route='{route}']")
        assert row.locator("td").nth(2).inner_text() == str(count), route
    page.screenshot(path=artifacts_dir / "dashboard-traffic-overview.png", full_page=True)
    page.goto(stack.dashboard + "/routes/GET/api/tags?window=1h")
    assert page.locator("#traffic").inner_text() == str(sent[TAGS])
    page.context.close()


def test_the_parity_chart_spans_the_window_with_labels_inside_it(stack, sent, browser,
                                                                 artifacts_dir):
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    log_in(page, stack, "vera")
    before = datetime.now(UTC)
    page.goto(stack.dashboard + "/routes/GET/api/tags?window=24h")
    after = datetime.now(UTC)
    ticks = page.locator("svg.chart text.x-tick")
    instants = [datetime.fromisoformat(t) for t in ticks.evaluate_all(
        "ts => ts.map(t => t.dataset.time)")]
    labels = ticks.evaluate_all("ts => ts.map(t => t.textContent)")  # SVG: no innerText
    assert len(instants) == 3
    assert before - timedelta(hours=24, minutes=1) <= instants[0] <= after - timedelta(hours=24)
    assert before <= instants[-1] <= after
    for instant, label in zip(instants, labels, strict=True):
        assert label == f"{instant:%m-%d %H:%M}"  # the label says the instant it stands at
    # Every comparison is recent: the dots sit at the right end of the axis, not the left.
    xs = page.locator("svg.chart circle.dot").evaluate_all(
        "cs => cs.map(c => parseFloat(c.getAttribute('cx')))")
    first_x, last_x = ticks.evaluate_all("ts => ts.map(t => parseFloat(t.getAttribute('x')))")[
        :: 2]
    assert xs and all(first_x + 0.9 * (last_x - first_x) <= x <= last_x for x in xs)
    page.screenshot(path=artifacts_dir / "dashboard-traffic-chart.png", full_page=True)
    page.context.close()


def test_the_legacy_page_names_what_still_reaches_legacy(stack, sent, browser, artifacts_dir):
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    log_in(page, stack, "vera")
    page.click("nav >> text=Legacy")
    page.wait_for_url("**/legacy")
    assert page.locator("#legacy-verdict").inner_text().startswith("Legacy is still needed")
    routes = page.locator("#legacy-routes tr[data-route='GET /api/tags'] td").nth(2)
    assert routes.inner_text() == "21"
    assert page.locator("#legacy-head tr[data-route='GET /api/tags']").count() == 1
    assert page.locator(
        "#legacy-options tr[data-route='GET /api/tags'][data-kind='preflight']").count() == 1
    assert "GET /api/tags: legacy serves it" in page.locator("#legacy-table").inner_text()
    page.screenshot(path=artifacts_dir / "dashboard-traffic-legacy.png", full_page=True)
    page.context.close()
