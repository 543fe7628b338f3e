"""The traffic a mutant run sends through the shadowing proxy.

A shared world (three authors, seventeen articles with ASCII and non-ASCII tags (some tied,
differing only by case), an NFC title,
three articles created in the same millisecond, follows, favorites, comments with a zero-width
space) is made once; then each client runs the same session with its own account: lists with
every filter and page, conditional GETs, the feed, comments, profiles, every error class
(401, 403, 404, 422), writes (dry-run in shadow) and CORS preflights. Every loop is bounded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
import psycopg

PASSWORD = "password123"
NFC_TITLE = "Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e"
UNICODE_TAG = "\u00dcn\u00efc\u00f6de"
ZERO_WIDTH = "looks\u200bplain"


@dataclass
class World:
    """What the setup made: tokens by user, article slugs by author, a comment id."""

    tokens: dict[str, str] = field(default_factory=dict)
    slugs: dict[str, list[str]] = field(default_factory=dict)
    comment_ids: list[int] = field(default_factory=list)


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Token {token}"} if token else {}


def register(client: httpx.Client, name: str) -> str:
    user = {"username": name, "email": f"{name}@example.com", "password": PASSWORD}
    reply = client.post("/api/users", json={"user": user})
    reply.raise_for_status()
    return reply.json()["user"]["token"]


def create_article(client: httpx.Client, token: str, title: str, tags: list[str]) -> str:
    article = {"title": title, "description": f"about {title}", "body": f"{title} body",
               "tagList": tags}
    reply = client.post("/api/articles", json={"article": article}, headers=auth(token))
    reply.raise_for_status()
    return reply.json()["article"]["slug"]


def setup_world(client: httpx.Client, database_url: str) -> World:
    """Make the shared data every client reads (through the proxy, so it is compared too)."""
    world = World()
    for name in ("alice", "bob", "carol"):
        world.tokens[name] = register(client, name)
    tag_sets = (["alpha", "zeta"], ["Beta", "alpha"], [UNICODE_TAG, "beta"], [])
    world.slugs["alice"] = [
        create_article(client, world.tokens["alice"], f"Alice article {n}", tag_sets[n % 4])
        for n in range(12)]
    world.slugs["alice"].append(
        create_article(client, world.tokens["alice"], NFC_TITLE, [UNICODE_TAG, "zeta"]))
    world.slugs["bob"] = [
        create_article(client, world.tokens["bob"], f"Bob article {n}", ["beta"])
        for n in range(2)]
    # Tags tied at one use: two that differ only by case, two whose order folding case flips
    # (code points put "Lambda" before "kappa"): popular tags break ties by code point.
    world.slugs["bob"] += [
        create_article(client, world.tokens["bob"], f"Bob tied {n}", tags)
        for n, tags in enumerate((["omega", "Lambda"], ["Omega", "kappa"]))]
    with psycopg.connect(database_url, autocommit=True) as connection:
        # Three articles in the same millisecond: only the id orders them.
        connection.execute(
            "UPDATE articles SET created_at = (SELECT created_at FROM articles WHERE slug = %s)"
            " WHERE slug = ANY(%s)", (world.slugs["alice"][3], world.slugs["alice"][3:6]))
    shared = world.slugs["alice"][0]
    client.post("/api/profiles/alice/follow", headers=auth(world.tokens["bob"]))
    for slug in world.slugs["alice"][:2]:
        client.post(f"/api/articles/{slug}/favorite", headers=auth(world.tokens["carol"]))
    for who, text in (("bob", "first"), ("alice", ZERO_WIDTH), ("bob", "third")):
        reply = client.post(f"/api/articles/{shared}/comments", json={"comment": {"body": text}},
                            headers=auth(world.tokens[who]))
        reply.raise_for_status()
        world.comment_ids.append(reply.json()["comment"]["id"])
    return world


def session(client: httpx.Client, world: World, index: int) -> int:
    """One client's traffic; return how many requests it sent."""
    me = f"user{index}"
    token = register(client, me)
    alice, bob = world.tokens["alice"], world.tokens["bob"]
    shared = world.slugs["alice"][0]
    sent = 1

    def call(method: str, url: str, token: str | None = None, **kwargs) -> httpx.Response:
        nonlocal sent
        sent += 1
        headers = {**auth(token), **kwargs.pop("headers", {})}
        return client.request(method, url, headers=headers, **kwargs)

    # Users: login, current user, every error class.
    call("POST", "/api/users/login", json={"user": {"email": f"{me}@example.com",
                                                     "password": PASSWORD}})
    call("POST", "/api/users/login", json={"user": {"email": f"{me}@example.com",
                                                     "password": "wrong-password"}})
    call("POST", "/api/users/login", json={"user": {"email": ""}})
    call("GET", "/api/user", token)
    call("GET", "/api/user", "not.a.token")
    call("GET", "/api/user")
    call("PUT", "/api/user", token, json={"user": {"bio": f"bio of {me}"}})
    call("POST", "/api/users", json={"user": {"username": "alice", "email": "alice@example.com",
                                              "password": PASSWORD}})
    # Tags and conditional GETs.
    tags = call("GET", "/api/tags")
    call("GET", "/api/tags", headers={"If-None-Match": tags.headers.get("etag", "")})
    # Lists: pages, filters (ASCII, non-ASCII, case), errors.
    for query in ("", "?limit=5", "?limit=5&offset=5", "?offset=10", "?limit=3&offset=2",
                  "?tag=alpha", f"?tag={quote(UNICODE_TAG)}", "?tag=Beta", "?author=alice",
                  "?author=ALICE", "?favorited=carol", "?author=bob&tag=beta", "?limit=0",
                  "?offset=-1", "?tag=a&tag=b"):
        call("GET", f"/api/articles{query}")
    call("GET", "/api/articles", token)
    call("GET", "/api/articles?favorited=carol", alice)
    call("GET", "/api/articles/feed", bob)
    call("GET", "/api/articles/feed?limit=2&offset=1", bob)
    call("GET", "/api/articles/feed", alice)
    call("GET", "/api/articles/feed")
    # Articles: read, conditional read, missing, create, update, delete, favorites.
    for slug in (shared, world.slugs["alice"][-1], world.slugs["bob"][0]):
        call("GET", f"/api/articles/{slug}")
        call("GET", f"/api/articles/{slug}", token)
    first = call("GET", f"/api/articles/{world.slugs['bob'][1]}")
    call("GET", f"/api/articles/{world.slugs['bob'][1]}",
         headers={"If-None-Match": first.headers.get("etag", "")})
    call("GET", "/api/articles/no-such-article")
    call("POST", "/api/articles", token, json={"article": {
        "title": f"{NFC_TITLE} {index}", "description": "d", "body": "b",
        "tagList": [UNICODE_TAG, "  spaced  ", "alpha"]}})
    call("POST", "/api/articles", token, json={"article": {"title": "", "body": 3}})
    own = world.slugs["alice"][6 + index % 5]
    call("PUT", f"/api/articles/{own}", alice, json={"article": {"body": f"edited {index}"}})
    call("PUT", f"/api/articles/{own}", bob, json={"article": {"body": "not mine"}})
    call("DELETE", f"/api/articles/{own}", bob)
    call("DELETE", f"/api/articles/{world.slugs['alice'][-2]}", alice)
    call("POST", f"/api/articles/{shared}/favorite", token)
    call("DELETE", f"/api/articles/{shared}/favorite", token)
    call("POST", "/api/articles/no-such-article/favorite", token)
    # Comments: list, add (zero-width, long, blank), delete own, foreign, missing.
    call("GET", f"/api/articles/{shared}/comments")
    call("GET", f"/api/articles/{shared}/comments", bob)
    call("POST", f"/api/articles/{shared}/comments", token,
         json={"comment": {"body": f"{ZERO_WIDTH} {index}"}})
    call("POST", f"/api/articles/{shared}/comments", token, json={"comment": {"body": "x" * 1500}})
    call("POST", f"/api/articles/{shared}/comments", token, json={"comment": {"body": ""}})
    mine = call("POST", f"/api/articles/{world.slugs['alice'][1]}/comments", token,
                json={"comment": {"body": "to delete"}})
    if mine.status_code == 200:
        call("DELETE", f"/api/articles/{world.slugs['alice'][1]}/comments/"
             f"{mine.json()['comment']['id']}", token)
    call("DELETE", f"/api/articles/{shared}/comments/{world.comment_ids[0]}", token)
    call("DELETE", f"/api/articles/{shared}/comments/999999", token)
    # Profiles: read, case, missing, follow, unfollow, follow oneself.
    call("GET", "/api/profiles/alice", bob)
    call("GET", "/api/profiles/alice")
    call("GET", "/api/profiles/ALICE")
    call("GET", "/api/profiles/nobody")
    call("POST", "/api/profiles/alice/follow", token)
    call("GET", "/api/articles/feed", token)
    call("POST", f"/api/profiles/{me}/follow", token)
    # CORS preflights.
    for url in ("/api/articles", f"/api/articles/{shared}", "/api/user"):
        call("OPTIONS", url, headers={"Origin": "http://localhost:4100",
                                      "Access-Control-Request-Method": "PUT",
                                      "Access-Control-Request-Headers": "authorization,"
                                                                        "content-type"})
    # Last, a few requests after the feed read: its mirror must not see the unfollow.
    call("DELETE", "/api/profiles/alice/follow", token)
    return sent


def run(base_url: str, database_url: str, clients: int = 1) -> int:
    """Set up the world, then run ``clients`` sessions at once; return the requests sent."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        world = setup_world(client, database_url)
    counts = [0] * clients
    errors: list[BaseException] = []

    def one(index: int) -> None:
        try:
            with httpx.Client(base_url=base_url, timeout=30) as client:
                counts[index] = session(client, world, index)
        except BaseException as error:  # reported after join
            errors.append(error)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    if errors:
        raise errors[0]
    return 24 + sum(counts)
