"""The shadow request path without an app: Shadow and Mirror driven by plain values.

The exchanges and observations come from tests/support/factories; the sides are a recorder
that answers from a script, and the Mirror is real (its pool, its publishers).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from proxy.dryrun import dry_run_signer
from proxy.flask_side import backend_environ, replayed
from proxy.mirror_sides import call_flask
from proxy.mirroring import Shadow
from shadow import Exchange, Mirror, Observation, Outcome
from tests.support.factories import Recorder, make_exchange, make_experiment, make_observation


class ScriptedSides:
    """Answer each side's calls from a script and remember what each call was sent."""

    def __init__(self, **answers: list[Observation]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, Exchange, str | None]] = []

    def backend(self) -> object:
        class App:
            config = {"JWT_SECRET": "a-secret"}
        return App()

    def call(self, side: str, exchange: Exchange, *, timeout: float, cap: int,
             marker: str | None = None) -> Observation:
        self.calls.append((side, exchange, marker))
        return self.answers[side].pop(0)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def mirror(recorder: Recorder) -> Iterator[Mirror]:
    mirror = Mirror([recorder], max_in_flight=2, timeout=5.0)
    yield mirror
    mirror.close()


def serve(shadow: Shadow, control: Observation, body: list[bytes] | None = None) -> None:
    """Play the proxy's part: pass the request body through, stream the control's answer."""
    if body is not None:
        assert b"".join(shadow.request_body(iter(body))) == b"".join(body)
    shadow.before_control()
    finished: list[BaseException | None] = []
    chunks, finish = shadow.observe(control.status, list(control.headers.items()),
                                    [control.body], finished.append, 0.0)
    assert b"".join(chunks) == control.body  # the client gets the control's answer whole
    finish(None)
    assert finished == [None]


def shadow_of(mirror: Mirror, sides: ScriptedSides, exchange: Exchange, cap: int = 1024,
              **settings: object) -> Shadow:
    return Shadow(mirror, cap, exchange, make_experiment(**settings), sides)  # type: ignore[arg-type]


def test_a_read_is_sent_to_the_candidate_with_its_body_and_compared(mirror, recorder) -> None:
    answer = make_observation({"tags": ["a"]})
    sides = ScriptedSides(flask=[answer])
    exchange = make_exchange("GET /api/tags", request_id="r-1")
    serve(shadow_of(mirror, sides, exchange), answer, body=[b"ab", b"c"])
    comparison = recorder.wait()[0]
    assert (comparison.outcome, comparison.route, comparison.request_id) == (
        Outcome.MATCH, "GET /api/tags", "r-1")
    [(side, sent, marker)] = sides.calls
    assert (side, sent.body) == ("flask", b"abc")
    # a Flask candidate's read runs read-only: the marker is signed "read-only"
    assert dry_run_signer(sides.backend().config).unsign(marker) == b"read-only"
    assert sent.with_body(None) == exchange  # the same request, now carrying its body


def test_a_mismatch_is_rechecked_on_the_control(mirror, recorder) -> None:
    sides = ScriptedSides(flask=[make_observation({"n": 2})], legacy=[make_observation({"n": 2})])
    serve(shadow_of(mirror, sides, make_exchange("GET /api/n")), make_observation({"n": 1}))
    comparison = recorder.wait()[0]
    assert comparison.outcome is Outcome.IGNORED  # the control now answers as the candidate
    assert [side for side, _, _ in sides.calls] == ["flask", "legacy"]
    assert sides.calls[1][2] is None  # the control is asked again as the client asked it


def test_a_body_over_the_cap_is_recorded_not_compared(mirror, recorder) -> None:
    sides = ScriptedSides()
    serve(shadow_of(mirror, sides, make_exchange("GET /api/tags"), cap=4),
          make_observation({"tags": ["a long list"]}))
    comparison = recorder.wait()[0]
    assert comparison.outcome is Outcome.IGNORED and "body over 4 bytes" in comparison.result.reason
    assert sides.calls == []


def test_a_dry_run_write_runs_the_candidate_first_with_a_marker(mirror, recorder) -> None:
    created = make_observation({"id": 1}, status=201)
    sides = ScriptedSides(flask=[created])
    exchange = make_exchange("POST /api/things", control_side="legacy")
    shadow = shadow_of(mirror, sides, exchange, writes="dry-run")
    assert b"".join(shadow.request_body(iter([b"{}"]))) == b"{}"
    shadow.before_control()
    assert [(side, sent.body) for side, sent, _ in sides.calls] == [("flask", b"{}")]
    assert sides.calls[0][2]  # a signed dry-run marker
    chunks, finish = shadow.observe(201, list(created.headers.items()), [created.body],
                                    lambda error: None, 0.0)
    assert b"".join(chunks) == created.body
    finish(None)
    assert recorder.wait()[0].outcome is Outcome.MATCH
    assert len(sides.calls) == 1  # a write is never sent to the candidate, or the control, twice


def test_the_one_environ_rewrite_replays_an_exchange_for_the_backend() -> None:
    exchange = make_exchange("GET /api/articles/:slug", path="/api/articles/caf%C3%A9",
                             query="x=1", headers={"authorization": "Token t"},
                             environ={"HTTP_X_STRANGLER_DRY_RUN": "forged"})
    environ = backend_environ(replayed(exchange), exchange, iter([b"body"]))
    assert environ["PATH_INFO"] == "/api/articles/café".encode().decode("latin-1")
    assert environ["RAW_URI"] == environ["REQUEST_URI"] == "/api/articles/caf%C3%A9?x=1"
    assert (environ["HTTP_AUTHORIZATION"], environ["HTTP_HOST"]) == ("Token t", "127.0.0.1")
    assert "HTTP_X_STRANGLER_DRY_RUN" not in environ  # only the exchange's headers go in
    assert environ["wsgi.input"].read() == b"body"


def test_call_flask_runs_the_exchange_through_a_wsgi_app() -> None:
    seen: list[dict] = []

    def app(environ: dict, start_response: Callable) -> list[bytes]:
        seen.append(environ)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["wsgi.input"].read(), b"!"]

    exchange = make_exchange("POST /api/echo", body=b"hello")
    observation = call_flask(app, exchange, cap=1024, marker="signed")  # type: ignore[arg-type]
    assert (observation.status, observation.body) == (200, b"hello!")
    assert seen[0]["HTTP_X_STRANGLER_DRY_RUN"] == "signed"
    assert seen[0]["REQUEST_METHOD"] == "POST"
