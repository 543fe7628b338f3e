"""What the deployment test checks through the edge: health, metrics, a route flip, blue-green."""

from __future__ import annotations

import time
import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.deploy.load import EdgeLoad, LoadResult
from tests.deploy.podman import CommandFailed, run_quietly
from tests.deploy.stack import Stack
from tests.support.processes import REPO_ROOT

# A route the checks send through the proxy: the rendered edge serves plain legacy ones itself.
THROUGH_PROXY = "GET /api/tags"


class CheckFailed(AssertionError):
    """The deployed stack did not behave as it must."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def served(metrics_url: str, route: str | None = None) -> dict[str, float]:
    """Return the API requests a proxy has answered, by side (optionally for one route)."""
    text = httpx.get(metrics_url, timeout=10).raise_for_status().text
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "strangler_proxy_requests":
            continue
        for sample in family.samples:
            if not sample.name.endswith("_total"):
                continue
            label = sample.labels["route"]
            if (route is None and " /api/" in label) or label == route:
                side = sample.labels["side"]
                counts[side] = counts.get(side, 0) + sample.value
    return counts


def health_and_metrics(stack: Stack) -> str:
    """Check /health and /metrics through the edge, and the edge's request id."""
    response = httpx.get(f"{stack.edge}/health", headers={"X-Request-ID": "deploy-test-1"},
                         timeout=10)
    body = response.json()
    expect(response.status_code == 200 and body["status"] == "ok", f"/health: {body}")
    expect(body["checks"]["database"]["dialect"] == "postgresql", f"/health: {body}")
    expect(body["checks"]["routes"]["routes"] > 0, f"/health: {body}")
    expect(response.headers.get("x-request-id") == "deploy-test-1",
           f"the edge dropped the client's request id: {dict(response.headers)}")
    generated = httpx.get(f"{stack.edge}/health", headers={"X-Request-ID": "not a sane id"}).headers
    expect(len(generated.get("x-request-id", "")) == 32, f"no fresh request id: {generated}")
    # Every route of the repository's routes.yaml is plainly legacy: the rendered edge sent the
    # Postman suite's API requests straight to legacy, so edge-metrics (the edge's access log)
    # counts them, under the proxy's labels; the proxy saw at most the few the edge leaves to it.
    proxy_counts = served(f"{stack.edge}/metrics")
    counts = served(edge_metrics(stack))
    expect(counts.get("legacy", 0) > 0,
           f"edge-metrics shows no API request the edge served straight from legacy: {counts}")
    expect(counts.get("legacy", 0) > proxy_counts.get("legacy", 0),
           f"the proxy, not the edge, passed the API requests to legacy: edge {counts}, "
           f"proxy {proxy_counts}")
    return (f"/health ok (database postgresql, {body['checks']['routes']['routes']} routes); "
            f"edge-metrics: {counts.get('legacy', 0):.0f} API requests sent straight to legacy "
            f"by the edge, the proxy's /metrics: {proxy_counts.get('legacy', 0):.0f}; "
            "X-Request-ID kept when sane, generated otherwise")


def edge_metrics(stack: Stack) -> str:
    """Return the URL of edge-metrics: the requests the edge served itself, as the proxy counts."""
    return stack.url("EDGE_METRICS_PORT") + "/metrics"


def flip(stack: Stack, container: str, route: str, side: str, *, reason: str) -> float:
    """Set ``route`` to ``side`` with the CLI in ``container``; wait until the edge serves it so.

    ``flask``: the re-rendered edge passes the route to the live proxy, which counts it as
    Flask-served. ``legacy``: the edge sends it straight to legacy, which only edge-metrics
    counts. Either count stays put when the edge was not re-rendered. Return the seconds from
    the CLI's return to the first request served by ``side``.
    """
    counter = f"{stack.edge}/metrics" if side == "flask" else edge_metrics(stack)
    path = route.split(" ", 1)[1]
    before = served(counter, route).get(side, 0)
    stack.compose("exec", "-T", container, "strangler", "routes", "set", route, side,
                  "--reason", reason, "--actor", "deploy-test")
    flipped = time.monotonic()
    while True:
        httpx.get(f"{stack.edge}{path}", timeout=10).raise_for_status()
        if served(counter, route).get(side, 0) > before:
            return time.monotonic() - flipped
        if time.monotonic() - flipped > 15:
            raise CheckFailed(f"{route} still not served by {side} through the edge 15 s after"
                              " the flip")
        time.sleep(0.1)


def route_flip(stack: Stack) -> str:
    """Flip GET /api/tags to flask with the CLI in one proxy container, back in the other."""
    route = "GET /api/tags"
    lines = []
    for container, side in (("proxy-blue", "flask"), ("proxy-green", "legacy")):
        seconds = flip(stack, container, route, side, reason="make deploy-test")
        lines.append(f"{route} -> {side} (CLI in {container}): served by {side} through the "
                     f"edge {seconds:.1f}s after the CLI returned")
    # Back on legacy, the edge bypasses the proxy: the proxy's count of the route stays put.
    at_proxy = sum(served(f"{stack.edge}/metrics", route).values())
    at_edge = served(edge_metrics(stack), route).get("legacy", 0)
    for _ in range(5):
        httpx.get(f"{stack.edge}/api/tags", timeout=10).raise_for_status()
    expect(sum(served(f"{stack.edge}/metrics", route).values()) == at_proxy,
           f"{route} is plainly legacy again, yet the proxy still sees it")
    deadline = time.monotonic() + 5  # edge-metrics follows the access log (every 0.2 s)
    while served(edge_metrics(stack), route).get("legacy", 0) < at_edge + 5 \
            and time.monotonic() < deadline:
        time.sleep(0.2)
    expect(served(edge_metrics(stack), route).get("legacy", 0) == at_edge + 5,
           "edge-metrics did not count the 5 requests the edge sent straight to legacy")
    history = stack.compose("exec", "-T", "proxy-blue", "strangler", "routes", "history",
                            "--route", route, "--limit", "2", capture=True).stdout
    flips = [line for line in history.splitlines() if "(make deploy-test)" in line]
    expect(len(flips) == 2, f"the audit log misses the flips:\n{history}")
    return ("; ".join(lines) + "; back on legacy the proxy no longer sees it, edge-metrics"
            " counts it; both flips in the audit log")


def author(edge: str) -> tuple[str, str]:
    """Register a user and publish an article through the edge; return (token, slug)."""
    name = f"deploy{uuid.uuid4().hex[:10]}"
    with httpx.Client(base_url=edge, timeout=15) as client:
        user = {"username": name, "email": f"{name}@example.com", "password": "deploy-pass"}
        token = client.post("/api/users", json={"user": user}).raise_for_status()
        token = token.json()["user"]["token"]
        article = {"title": f"Blue green {name}", "description": "d", "body": "b",
                   "tagList": ["deploy"]}
        slug = client.post("/api/articles", json={"article": article},
                           headers={"Authorization": f"Token {token}"}).raise_for_status()
        return token, slug.json()["article"]["slug"]


def blue_green(stack: Stack) -> tuple[str, LoadResult]:
    """Release into green, stop blue, roll back to blue: all under load, none may fail.

    The rendered edge sends plain legacy routes straight to legacy, so the proxies would see
    none of the load: GET /api/tags (one request in five of the loop) is served by Flask first,
    through the edge and the live proxy colour, whose counts the checks read.
    """
    flip(stack, "proxy-green", THROUGH_PROXY, "flask", reason="deploy-test blue-green")
    token, slug = author(stack.edge)
    metrics = {colour: stack.url(f"PROXY_{colour.upper()}_PORT") + "/metrics"
               for colour in ("blue", "green")}
    env = {**stack.compose.env, "COMPOSE": stack.compose_command}
    script = str(REPO_ROOT / "deploy" / "blue-green")
    steps = []

    def run(*args: str) -> None:
        started = time.monotonic()
        print("$", "deploy/blue-green", *args, flush=True)
        if run_quietly([script, *args], env) != 0:
            raise CommandFailed(f"deploy/blue-green {' '.join(args)} failed")
        steps.append(f"{' '.join(args)} {time.monotonic() - started:.1f}s")

    def total(colour: str) -> float:
        return sum(served(metrics[colour]).values())

    with EdgeLoad(stack.edge, token, slug) as load:
        time.sleep(3)
        run("release")
        green_after_switch, blue_after_switch = total("green"), total("blue")
        time.sleep(3)
        expect(total("green") > green_after_switch, "green took no traffic after the release")
        expect(total("blue") == blue_after_switch, "blue still took traffic after the release")
        stack.compose("stop", "-t", "15", "proxy-blue")
        time.sleep(3)
        run("switch", "blue")
        blue_after_rollback = total("blue")
        time.sleep(3)
        expect(total("blue") > blue_after_rollback, "blue took no traffic after the rollback")
    result = load.result
    comments = httpx.get(f"{stack.edge}/api/articles/{slug}/comments", timeout=15).json()
    expect(not result.failures, f"{len(result.failures)} failed requests: {result.failures[:10]}")
    expect(len(comments["comments"]) == result.comments_created,
           f"{result.comments_created} comments acknowledged, {len(comments['comments'])} stored")
    return "; ".join(steps), result


def prometheus(stack: Stack) -> str:
    """Check Prometheus scrapes the proxies and edge-metrics, and holds both request counts."""
    base = stack.url("PROMETHEUS_PORT")
    deadline = time.monotonic() + 60
    sums: dict[str, float] = {}
    while True:
        targets = httpx.get(f"{base}/api/v1/targets", timeout=10).json()["data"]
        up = sorted(t["labels"]["colour"] for t in targets["activeTargets"]
                    if t["health"] == "up")
        for job in ("strangler-proxy", "strangler-edge"):
            query = httpx.get(f"{base}/api/v1/query", timeout=10, params={
                "query": f'sum(strangler_proxy_requests_total{{job="{job}"}})'}).json()
            series = query["data"]["result"]
            if series:
                sums[job] = float(series[0]["value"][1])
        if "edge" in up and sums.get("strangler-proxy", 0) > 0 \
                and sums.get("strangler-edge", 0) > 0:
            return (f"targets up: {', '.join(up)}; sum(strangler_proxy_requests_total) = "
                    f"{sums['strangler-proxy']:.0f} at the proxies, "
                    f"{sums['strangler-edge']:.0f} served by the edge itself")
        if time.monotonic() > deadline:
            raise CheckFailed(f"Prometheus lacks the proxies' or the edge's data after 60 s: "
                              f"{sums}; {targets}")
        time.sleep(2)


def drops_are_seen(stack: Stack) -> str:
    """Stop the live proxy under load: the loop must see the failures (it can fail).

    Only GET /api/tags, served by Flask (through the proxy), can fail here: the rest of the
    loop goes straight to legacy.
    """
    flip(stack, "proxy-green", THROUGH_PROXY, "flask", reason="deploy-test control")
    token, slug = author(stack.edge)
    with EdgeLoad(stack.edge, token, slug, clients=2, max_seconds=30) as load:
        time.sleep(1)
        stack.compose("stop", "-t", "15", "proxy-blue")
        time.sleep(2)
    result = load.result
    expect(bool(result.failures), "stopping the live proxy under load failed no request")
    statuses = sorted({failure.split(": ")[1].split(" ")[0] for failure in result.failures})
    return f"{len(result.failures)} of {result.total} requests failed ({', '.join(statuses)})"
