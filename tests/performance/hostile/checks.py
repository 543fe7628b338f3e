"""The scenarios of ``make hostile`` that are about answers rather than load: one line each."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from tests.integration.proxy.test_desync import ATTACKS, SMUGGLING, TEXT
from tests.support import rawhttp
from tests.support.processes import ServerProcess

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


def _unexplained(legacy: ServerProcess, proxies: list[ServerProcess]) -> int:
    """Count legacy's log lines that no proxy logged (beyond direct calls and probes)."""
    proxied = set()
    for proxy in proxies:
        for line in Path(proxy.log_path).read_text().splitlines():
            if line.startswith('{"request_id"'):
                proxied.add(json.loads(line)["request_id"])
    count = 0
    for line in Path(legacy.log_path).read_text().splitlines():
        match = re.match(r"\S+ ([A-Z]+) (\S+) .* (\S+)$", line)
        if match is None:
            continue
        method, url, rid = match.groups()
        if rid in proxied or rid.startswith(("direct-", "strangler-health")):
            continue
        if (method, url, rid) == ("GET", "/api/tags", "-"):
            continue  # the harness' own readiness probe of legacy
        count += 1
    return count


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
    unexplained = _unexplained(stack.legacy, [stack.plain, stack.behind])
    smuggled = "/api/SMUGGLED" in Path(stack.legacy.log_path).read_text()
    verdict = "held" if right == total and not unexplained and not smuggled else "NOT HELD"
    return (f"desync [{name}]: {len(ATTACKS)} attacks (short bodies, aborts, cut and malformed "
            f"chunks, early answers) x {VICTIMS} victims: {right}/{total} got their own answer;"
            f" requests in legacy's log the proxies never logged: {unexplained}; smuggled "
            f"request reached legacy: {'yes' if smuggled else 'no'} -> {verdict}")


SINGLE: list = []
