"""Each side's concurrency budget: a side that hangs only ever holds its own slots."""

from __future__ import annotations

import threading

import pytest

from proxy.bulkhead import bulkheads

ROUTES = """\
legacy:
  url: http://127.0.0.1:9
  timeouts: {connect: 1.0, read: 5.0, pool: 1.0}
routes:
  - route: GET /api/tags
    serve: flask
"""


def test_a_side_over_its_budget_gets_a_fast_503_and_the_other_side_still_answers(
        make_proxy) -> None:
    app = make_proxy(ROUTES, LEGACY_CONCURRENCY="2", FLASK_CONCURRENCY="2")
    client = app.test_client()
    started, slow = threading.Barrier(3), []

    def hang_on_legacy() -> None:
        started.wait()
        with app.test_client().get("/api/slow?seconds=1.5") as response:
            slow.append(response.status_code)

    threads = [threading.Thread(target=hang_on_legacy) for _ in range(2)]
    for thread in threads:
        thread.start()
    started.wait()
    runtime = app.extensions["strangler"]
    for _ in range(200):  # both slow requests hold their slot
        if runtime.bulkheads["legacy"]._slots._value == 0:
            break
        threading.Event().wait(0.01)
    refused = client.get("/api/echo", headers={"X-Request-ID": "over-1"})
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert refused.get_json() == {
        "errors": {"proxy": ["legacy is at its concurrency limit"]}, "requestId": "over-1"}
    assert client.get("/api/tags").status_code == 200  # flask has its own budget
    assert client.get("/health/live").status_code == 200
    for thread in threads:
        thread.join()
    assert slow == [200, 200]
    assert client.get("/api/echo").status_code == 200  # slots given back
    page = client.get("/metrics").get_data(as_text=True)
    assert 'strangler_proxy_bulkhead_rejected_total{side="legacy"} 1.0' in page


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_a_bad_budget_is_one_clear_error(value: str) -> None:
    with pytest.raises(ValueError, match=f"PROXY_LEGACY_CONCURRENCY .* got '{value}'"):
        bulkheads({"LEGACY_CONCURRENCY": value, "FLASK_CONCURRENCY": "4"})
