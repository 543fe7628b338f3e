"""The proxy's request path with shadow on, in-process: which side is compared, with what.

The Mirror is replaced by one publishing to a list, so each comparison can be inspected.
"""

from __future__ import annotations

import io
import threading

import pytest
from flask import Flask

from shadow import Comparison, Mirror


class Recorder:
    def __init__(self) -> None:
        self.comparisons: list[Comparison] = []
        self.arrived = threading.Semaphore(0)

    def comparison(self, comparison: Comparison) -> None:
        self.comparisons.append(comparison)
        self.arrived.release()

    def noise(self, route: str, paths: list[str]) -> None:
        pass

    def wait(self, count: int) -> list[Comparison]:
        for _ in range(count):
            assert self.arrived.acquire(timeout=10)
        return self.comparisons


def recording(app: Flask) -> Recorder:
    runtime = app.extensions["strangler"]
    runtime.ensure_started()
    recorder = Recorder()
    runtime.shadowing._mirror = Mirror([recorder], max_in_flight=4, timeout=5.0)
    return recorder


def table(serve: str, shadow: str) -> str:
    return f"routes:\n  - route: GET /api/tags\n    serve: {serve}\n    shadow: {shadow}\n"


@pytest.mark.parametrize(
    "serve, shadow, control, candidate_status",
    [
        ("legacy", "flask", "legacy", 200),
        ("flask", "legacy", "flask", 200),
        ("{flask: 100, legacy: 0}", "true", "flask", 200),
        ("{flask: 0, legacy: 100}", "true", "legacy", 200),
    ],
)
def test_the_side_that_did_not_serve_is_compared(make_proxy, serve: str, shadow: str,
                                                 control: str, candidate_status: int) -> None:
    app = make_proxy(table(serve, shadow))
    recorder = recording(app)
    response = app.test_client().get("/api/tags", headers={"X-Request-ID": "r-1"})
    assert response.status_code == 200
    served_by_flask = b'"flask"' in response.data
    response.close()  # as a WSGI server does once the body is sent: the comparison starts
    assert served_by_flask == (control == "flask")
    [comparison] = recorder.wait(1)
    assert (comparison.route, comparison.control_side, comparison.request_id) == (
        "GET /api/tags", control, "r-1")
    assert comparison.candidate_status == candidate_status
    assert str(comparison.outcome) == "mismatch"  # the fake backend and the echo differ


def test_unshadowed_and_unsampled_requests_are_not_compared(make_proxy) -> None:
    app = make_proxy("routes:\n  - route: GET /api/tags\n    serve: legacy\n"
                     "  - route: GET /api/articles/:slug\n    serve: legacy\n"
                     "    shadow: flask\n    sample: 0.0\n")
    recorder = recording(app)
    client = app.test_client()
    for path in ("/api/tags", "/api/articles/x"):
        response = client.get(path)
        assert response.status_code == 200
        response.close()
    assert recorder.comparisons == []


@pytest.mark.parametrize("writes", ["skip", "dry-run"])
@pytest.mark.parametrize("size", [10, 100_000])
def test_a_short_body_is_400_and_never_reaches_the_candidate(make_proxy, writes: str,
                                                             size: int) -> None:
    app = make_proxy("routes:\n  - route: POST /api/articles/:slug/comments\n"
                     f"    serve: legacy\n    shadow: flask\n    writes: {writes}\n")
    recorder = recording(app)
    response = app.test_client().post(
        "/api/articles/a/comments", input_stream=io.BytesIO(b"x" * size),
        environ_overrides={"CONTENT_LENGTH": str(2 * size)})
    assert response.status_code == 400
    response.close()
    assert app.extensions["strangler"].shadowing._mirror.in_flight == 0
    assert recorder.comparisons == []


@pytest.mark.parametrize("asked", ["GET", None])
def test_options_on_a_shadowed_routes_path_is_compared_under_that_route(
        make_proxy, asked: str | None) -> None:
    app = make_proxy(table("legacy", "flask"))
    recorder = recording(app)
    headers = {"Origin": "http://example.test"}
    if asked:
        headers["Access-Control-Request-Method"] = asked
    response = app.test_client().options("/api/tags", headers=headers)
    response.close()
    [comparison] = recorder.wait(1)
    assert (comparison.route, comparison.method, comparison.control_side) == (
        "GET /api/tags", "OPTIONS", "legacy")
    assert comparison.candidate_status is not None  # the candidate was asked, not skipped


def test_unmatched_requests_are_compared_under_a_pseudo_route_when_asked(make_proxy) -> None:
    app = make_proxy("shadow:\n  unmatched: flask\n" + table("legacy", "flask"))
    recorder = recording(app)
    response = app.test_client().get("/api/articles/how-to")
    assert response.status_code == 200
    response.close()
    [comparison] = recorder.wait(1)
    assert (comparison.route, comparison.control_side, comparison.candidate_status) == (
        "(unmatched)", "legacy", 200)


def test_unmatched_requests_are_not_compared_by_default(make_proxy) -> None:
    app = make_proxy(table("legacy", "flask"))
    recorder = recording(app)
    for method in ("get", "options"):
        response = getattr(app.test_client(), method)("/api/articles/how-to")
        response.close()
    assert recorder.comparisons == []
