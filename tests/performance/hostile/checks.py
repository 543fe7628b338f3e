"""The scenarios of ``make hostile`` that are about answers rather than load: one line each."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from tests.support import logs, rawhttp
from tests.support.processes import ServerProcess
from tests.support.smuggling import ATTACKS, SMUGGLING, TEXT

USERS = ("ann", "bob", "cyd", "dee")
PASSWORD = "password-of-a-victim"
VICTIMS = 50


def seed(legacy_url: str) -> None:
    """Accounts for the victims, and articles so that GET /api/articles has rows."""
    direct = {"X-Request-ID": "direct-seed"}
    with httpx.Client(base_url=legacy_url, timeout=30, headers=direct) as client:
        for name in USERS:
            user = {"username": name, "email": f"{name}@example.test", "password": PASSWORD}
            token = client.post("/api/users", json={"user": user}).json()["user"]["token"]
            article = {"title": f"An article by {name}", "description": "d", "body": "b",
                       "tagList": ["hostile"]}
            client.post("/api/articles", json={"article": article},
                        headers={"Authorization": f"Token {token}"}).raise_for_status()


def _victim(base_url: str, index: int) -> bool:
    """One client on its own connection; True when the answer is about its own request."""
    name = USERS[index % len(USERS)]
    try:
        if index % 5 == 0:
            response = httpx.post(base_url + "/api/users/login", timeout=30, json={
                "user": {"email": f"{name}@example.test", "password": PASSWORD}})
            return response.status_code == 200 and response.json()["user"]["username"] == name
        response = httpx.get(f"{base_url}/api/profiles/{name}", timeout=30,
                             headers={"X-Request-ID": f"victim-{index}"})
        return (response.status_code == 200 and response.json()["profile"]["username"] == name
                and response.headers["x-request-id"] == f"victim-{index}")
    except (httpx.HTTPError, ValueError, KeyError):
        return False


def desync(stack: Any, name: str, front: ServerProcess) -> str:
    """Every smuggling variant, each followed by VICTIMS clients on other connections."""
    right = total = 0
    for data, then in ATTACKS.values():
        rawhttp.send(front.port, data, then=then)
        for _ in range(3):
            rawhttp.send(front.port, rawhttp.request("POST", "/api/users/login", TEXT,
                                                     SMUGGLING))
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(lambda i: _victim(front.url, i), range(VICTIMS)))
        right += sum(answers)
        total += len(answers)
    unexplained = len(logs.unexplained(stack.legacy, [stack.plain, stack.behind]))
    smuggled = "/api/SMUGGLED" in Path(stack.legacy.log_path).read_text()
    verdict = "held" if right == total and not unexplained and not smuggled else "NOT HELD"
    return (f"desync [{name}]: {len(ATTACKS)} attacks (short bodies, aborts, cut and malformed "
            f"chunks, early answers) x {VICTIMS} victims: {right}/{total} got their own answer;"
            f" requests in legacy's log the proxies never logged: {unexplained}; smuggled "
            f"request reached legacy: {'yes' if smuggled else 'no'} -> {verdict}")


def metric_labels(stack: Any) -> str:
    """500 requests with made-up methods: how many method label values appear."""
    for index in range(500):
        rawhttp.send(stack.plain.port, rawhttp.request(f"M{index}X", "/api/tags"))
    page = httpx.get(stack.plain.url + "/metrics").text
    methods = sorted(set(re.findall(r'strangler_proxy_requests_total\{method="([^"]+)"', page)))
    held = "OTHER" in methods and not any(m.startswith("M") and m.endswith("X") for m in methods)
    return (f"metric labels: 500 requests with random methods -> method label values "
            f"{methods} -> {'held' if held else 'NOT HELD'} (target: one value for unknowns)")


def dashboard_upload(stack: Any) -> str:
    """A 30 MiB anonymous upload to the login form, on both topologies."""
    parts = []
    for name, front in stack.topologies.items():
        started = time.perf_counter()
        with rawhttp.connect(front.port, timeout=30) as sock:
            sock.sendall(rawhttp.request(
                "POST", "/_strangler/login",
                {"Content-Type": "application/x-www-form-urlencoded"}, length=30 * 2**20))
            try:
                sock.sendall(b"x" * 2**20)  # the rest never needs to be sent
            except OSError:
                pass
            answer = rawhttp.read_response(sock, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        parts.append(f"{name} {answer.status if answer else 'no answer'} in {elapsed:.0f} ms")
    held = all(" 413 " in f" {part} " for part in parts)
    return (f"dashboard upload: 30 MiB anonymous POST /_strangler/login -> {', '.join(parts)}"
            f" -> {'held' if held else 'NOT HELD'} (target: refused, nothing spooled)")


def _strangler(stack: Any, *args: str, stdin: str = "") -> None:
    subprocess.run([str(Path(sys.executable).parent / "strangler"), *args], input=stdin,
                   text=True, env={**os.environ, "DATABASE_URL": stack.database},
                   capture_output=True, timeout=60, check=True)


def _login_form(client: httpx.Client) -> str:
    page = client.get("/_strangler/login").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the login form"
    return match.group(1)


def login_race(stack: Any) -> str:
    """40 concurrent wrong passwords against the limit of 5, then the right one."""
    _strangler(stack, "users", "create", "operator", "--role", "operator", "--password-stdin",
               stdin="the operator's passphrase\n")
    clients = [httpx.Client(base_url=stack.plain.url, timeout=60) for _ in range(40)]
    tokens = [_login_form(client) for client in clients]

    def guess(index: int) -> int:
        return clients[index].post("/_strangler/login", data={
            "username": "operator", "password": f"guess {index}",
            "csrf_token": tokens[index]}).status_code

    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(guess, range(40)))
    with httpx.Client(base_url=stack.plain.url, timeout=60) as client:
        right = client.post("/_strangler/login", data={
            "username": "operator", "password": "the operator's passphrase",
            "csrf_token": _login_form(client)}).status_code
    for client in clients:
        client.close()
    checked = statuses.count(401)
    held = checked <= 5 and right == 429
    return (f"login race: 40 concurrent wrong passwords, limit 5 -> {checked} checked (401), "
            f"{statuses.count(429)} refused unchecked (429); the right password next: {right} "
            f"-> {'held' if held else 'NOT HELD'} (target: at most 5 checked)")


def revoked_session(stack: Any) -> str:
    """A session cookie copied before logout, used after it."""
    _strangler(stack, "users", "create", "viewer", "--role", "viewer", "--password-stdin",
               stdin="the viewer's passphrase\n")
    with httpx.Client(base_url=stack.plain.url, timeout=30) as client:
        client.post("/_strangler/login", data={
            "username": "viewer", "password": "the viewer's passphrase",
            "csrf_token": _login_form(client)})
        cookie = client.cookies.get("strangler_session")
        before = httpx.get(stack.plain.url + "/_strangler/",
                           cookies={"strangler_session": cookie}).status_code
        page = client.get("/_strangler/").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        client.post("/_strangler/logout", data={"csrf_token": token})
    after = httpx.get(stack.plain.url + "/_strangler/",
                      cookies={"strangler_session": cookie}).status_code
    held = (before, after) == (200, 302)
    return (f"logout: a copied session cookie answers {before} before logout, {after} after "
            f"-> {'held' if held else 'NOT HELD'} (target: revoked on the server)")


def prefix_spellings(stack: Any) -> str:
    """Other spellings of the dashboard prefix, and its redirect with a hostile Host."""
    paths = ["//_strangler/", "/_STRANGLER/", "/%5Fstrangler/", "/_strangler;x/"]
    statuses = [rawhttp.send(stack.plain.port, rawhttp.request("GET", path)) for path in paths]
    shown = ", ".join(f"{path} {answer.status if answer else '-'}"
                      for path, answer in zip(paths, statuses, strict=True))
    redirect = rawhttp.send(stack.plain.port, b"GET /_strangler HTTP/1.1\r\n"
                            b"Host: evil.example\r\n\r\n")
    location = redirect.headers.get("location") if redirect else None
    with httpx.Client(base_url=stack.plain.url, timeout=30) as client:
        crlf = client.post("/_strangler/login", data={
            "username": "viewer", "password": "the viewer's passphrase",
            "next": "/_strangler/\r\nSet-Cookie: x=1", "csrf_token": _login_form(client)})
    held = all(a is not None and a.status == 404 for a in statuses) and \
        location == "/_strangler/" and crlf.status_code == 302
    return (f"dashboard paths: {shown}; GET /_strangler with Host: evil.example -> Location "
            f"{location}; login with CR/LF in next -> {crlf.status_code} "
            f"-> {'held' if held else 'NOT HELD'} (target: 404s, relative, no 500)")


def default_secret(stack: Any) -> str:
    """The proxy started without JWT_SECRET, then in explicit development mode."""
    env = {"JWT_SECRET": "", "WEB_CONCURRENCY": "1"}
    try:
        stack.extra_proxy(**env)
        refused = "started"
    except RuntimeError as error:
        said = next((line for line in str(error).splitlines() if "InsecureSecrets: " in line),
                    "")
        refused = "refused to start (" + said.split("InsecureSecrets: ")[-1].split(":")[0] + ")"
    started = stack.extra_proxy(**env, STRANGLER_ENV="development")
    started.stop()
    held = refused.startswith("refused")
    return (f"default JWT secret: without JWT_SECRET the proxy {refused[:160]}; with "
            f"STRANGLER_ENV=development it starts -> {'held' if held else 'NOT HELD'}")


def database_outage(stack: Any) -> str:
    """A proxy whose database is unreachable: liveness, readiness, a legacy route, shadow."""
    dead = "postgresql://postgres@127.0.0.1:9/strangler"
    proxy = stack.extra_proxy(DATABASE_URL=dead, WEB_CONCURRENCY="1",
                              ROUTES_FILE=str(stack.shadowed_routes))
    try:
        live = httpx.get(proxy.url + "/health/live").status_code
        legacy_route = httpx.get(proxy.url + "/api/profiles/ann").status_code
        for _ in range(5):
            httpx.get(proxy.url + "/api/articles")  # shadowed: the parity store cannot write
        time.sleep(2)
        health = httpx.get(proxy.url + "/health")
    finally:
        proxy.stop()
    checks = health.json()["checks"]
    held = live == 200 and legacy_route == 200 and health.status_code == 200 and \
        not checks["database"]["ok"] and not checks["shadow"]["ok"]
    return (f"database unreachable: /health/live {live}, GET /api/profiles/:username (legacy) "
            f"{legacy_route}, /health {health.status_code} {health.json()['status']} "
            f"(database ok={checks['database']['ok']}, shadow ok={checks['shadow']['ok']}, "
            f"{checks['shadow']['store_failed']} parity writes failed) "
            f"-> {'held' if held else 'NOT HELD'} (target: live, ready, degraded)")


SINGLE = [metric_labels, dashboard_upload, login_race, revoked_session, prefix_spellings,
          default_secret, database_outage]
