"""Request smuggling through the pooled connections to legacy: bodies cut short, aborted,
malformed; legacy answering before the body arrived. After each attack, many victims on
other connections must get their own answers, and legacy must never log a request the proxy
did not log (the issue's reproducer and its variants, on one worker and the default config).
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from backend.database import REPO_ROOT
from tests.support import rawhttp
from tests.support.logs import logged, unexplained
from tests.support.processes import ServerProcess
from tests.support.smuggling import ATTACKS, SMUGGLING, TEXT

pytestmark = [pytest.mark.legacy]

USERS = ("ann", "bob", "cyd")
PASSWORD = "password-of-a-victim"


@pytest.fixture(scope="module", params=["one worker", "default config"])
def workers(request) -> tuple[str, str]:
    """WEB_CONCURRENCY and GUNICORN_THREADS: one worker, or deploy/gunicorn.conf.py's own."""
    if request.param == "one worker":
        return "1", "16"
    return str(2 * (os.cpu_count() or 1)), "16"


@pytest.fixture(scope="module")
def legacy(workers, databases, start_legacy) -> ServerProcess:
    """Legacy (one per proxy, so its log is that proxy's) with the victims' accounts."""
    server = start_legacy(databases.create("sqlite"))
    for name in USERS:
        httpx.post(server.url + "/api/users", headers={"X-Request-ID": "direct-setup"}, json={
            "user": {"username": name, "email": f"{name}@example.test", "password": PASSWORD},
        }).raise_for_status()
    return server


@pytest.fixture(scope="module")
def proxy(workers, legacy: ServerProcess, start_proxy, sqlite_database: str) -> ServerProcess:
    return start_proxy(REPO_ROOT / "routes.yaml", sqlite_database, LEGACY_URL=legacy.url,
                       WEB_CONCURRENCY=workers[0], GUNICORN_THREADS=workers[1])


def victim(proxy: ServerProcess, index: int) -> None:
    """One client on its own connection: its answer must be about its own request."""
    name = USERS[index % len(USERS)]
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        if index % 3 == 0:
            response = client.post("/api/users/login", json={"user": {
                "email": f"{name}@example.test", "password": PASSWORD}})
            assert response.status_code == 200, response.text
            assert response.json()["user"]["username"] == name
        else:
            response = client.get(f"/api/profiles/{name}", headers={"X-Request-ID": f"v-{index}"})
            assert response.status_code == 200, response.text
            assert response.json()["profile"]["username"] == name
            assert response.headers["x-request-id"] == f"v-{index}"


def smuggle(port: int, **headers: str) -> rawhttp.RawResponse | None:
    """The reproducer's second request: a login whose body hides a request."""
    return rawhttp.send(port, rawhttp.request("POST", "/api/users/login", {**TEXT, **headers},
                                              SMUGGLING))


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_an_attack_never_reaches_another_client(proxy: ServerProcess, legacy: ServerProcess,
                                                attack: str) -> None:
    data, then = ATTACKS[attack]
    answer = rawhttp.send(proxy.port, data, then=then)
    if then != "reset":
        assert answer is not None, "no answer"
        if attack.startswith("whole body"):
            assert answer.status == 401  # legacy's own answer, the body is fine
        else:
            assert answer.status == 400, answer
            assert answer.json()["requestId"] == answer.headers["x-request-id"]
    direct = smuggle(legacy.port, **{"X-Request-ID": "direct-oracle"})  # legacy's own answer
    for _ in range(4):
        through = smuggle(proxy.port)
        assert through is not None and (through.status, through.body) == (direct.status,
                                                                           direct.body)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda i: victim(proxy, i), range(24)))
    assert "/api/SMUGGLED" not in Path(legacy.log_path).read_text()
    unknown = unexplained(legacy, [proxy])
    assert not unknown, f"legacy served requests the proxy never logged: {unknown[:5]}"


def test_short_bodies_are_logged_and_counted_as_client_errors(proxy: ServerProcess) -> None:
    data, then = ATTACKS["malformed chunk after the first"]
    answer = rawhttp.send(proxy.port, data, then=then)
    assert answer is not None and answer.status == 400
    rid = answer.json()["requestId"]
    assert [line["status"] for line in logged(proxy, rid)] == [400]
    page = httpx.get(proxy.url + "/metrics").text
    assert re.search(r'strangler_proxy_requests_total\{method="POST",route="POST /api/articles",'
                     r'side="legacy",status_class="4xx"\} [1-9]', page)
    assert re.search(r'route="POST /api/articles",side="legacy",status_class="5xx"\} 0\.0\n', page)
    assert "Traceback" not in Path(proxy.log_path).read_text()


HIDDEN = b"GET /api/SMUGGLED HTTP/1.1\r\nHost: legacy\r\n\r\n"
FRAMINGS = {
    # Front-end smuggling: framings a parser might read two ways. Refused, never forwarded.
    "CL.TE": b"POST /api/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n"
             b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + HIDDEN,
    "TE.CL": b"POST /api/articles HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
             b"Content-Length: 4\r\n\r\n5c\r\n" + HIDDEN + b"\r\n0\r\n\r\n",
    "two lengths": b"POST /api/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                   b"Content-Length: 45\r\n\r\n" + HIDDEN,
    "TE obfuscated": b"POST /api/articles HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n"
                     b"\r\n0\r\n\r\n" + HIDDEN,
    "TE with a space before the colon": b"POST /api/articles HTTP/1.1\r\nHost: x\r\n"
                                        b"Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n" + HIDDEN,
    "TE twice": b"POST /api/articles HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                b"Transfer-Encoding: identity\r\n\r\n0\r\n\r\n" + HIDDEN,
    "chunk size with junk": b"POST /api/articles HTTP/1.1\r\nHost: x\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n0x2d\r\n" + HIDDEN + b"0\r\n\r\n",
    "bare LF line ends": b"POST /api/articles HTTP/1.1\nHost: x\nContent-Length: 0\n\n" + HIDDEN,
    "obsolete line folding": b"POST /api/articles HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                             b" 45\r\n\r\n" + HIDDEN,
}


@pytest.mark.parametrize("framing", list(FRAMINGS))
def test_ambiguous_framing_is_refused_and_hides_nothing(proxy: ServerProcess,
                                                        legacy: ServerProcess,
                                                        framing: str) -> None:
    answer = rawhttp.send(proxy.port, FRAMINGS[framing], then="shut")
    assert answer is None or 400 <= answer.status < 500 or answer.status == 501, answer
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda i: victim(proxy, i), range(8)))
    assert "/api/SMUGGLED" not in Path(legacy.log_path).read_text()
    assert not unexplained(legacy, [proxy])
