"""Legacy and the backend on one database: users, tokens, hashes and rows work across sides."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess

pytestmark = [pytest.mark.legacy, pytest.mark.postgres]


@pytest.fixture
def both(
    database_kind: str,
    databases: DatabaseFactory,
    start_legacy: Callable[..., ServerProcess],
    start_backend: Callable[..., ServerProcess],
) -> tuple[httpx.Client, httpx.Client]:
    url = databases.create(database_kind)
    legacy = start_legacy(url)
    backend = start_backend(url)
    with httpx.Client(base_url=legacy.url + "/api", timeout=10) as legacy_client, \
            httpx.Client(base_url=backend.url + "/api", timeout=10) as backend_client:
        yield legacy_client, backend_client
    backend.stop()
    legacy.stop()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Token {token}"}


def flow(first: httpx.Client, second: httpx.Client, name: str) -> None:
    """Register on ``first``; log in, write on ``second``; read and delete on ``first``."""
    registered = first.post("/users", json={"user": {
        "username": name, "email": f"{name}@example.com", "password": "password123"}})
    assert registered.status_code == 201
    first_token = registered.json()["user"]["token"]

    login = second.post("/users/login", json={"user": {
        "email": f"{name.upper()}@EXAMPLE.COM", "password": "password123"}})
    assert login.status_code == 200, login.text
    second_token = login.json()["user"]["token"]
    assert second.get("/user", headers=auth(first_token)).json()["user"]["username"] == name

    created = second.post("/articles", headers=auth(second_token), json={"article": {
        "title": f"Written by {name}", "description": "d", "body": "b",
        "tagList": ["cross", "side"]}})
    assert created.status_code == 201
    article = created.json()["article"]
    commented = second.post(f"/articles/{article['slug']}/comments", headers=auth(second_token),
                            json={"comment": {"body": "hello"}})
    assert commented.status_code == 200
    favorited = first.post(f"/articles/{article['slug']}/favorite", headers=auth(second_token))
    assert favorited.json()["article"]["favoritesCount"] == 1

    read = first.get(f"/articles/{article['slug']}", headers=auth(first_token))
    assert read.status_code == 200
    shown = read.json()["article"]
    assert shown["createdAt"] == article["createdAt"]
    assert shown["tagList"] == article["tagList"] == ["cross", "side"]
    assert shown["favorited"] is True
    comments = first.get(f"/articles/{article['slug']}/comments").json()["comments"]
    assert [c["body"] for c in comments] == ["hello"]
    assert comments[0]["createdAt"] == commented.json()["comment"]["createdAt"]

    changed = first.put("/user", headers=auth(second_token),
                        json={"user": {"password": "changed-password"}})
    assert changed.status_code == 200
    relogin = second.post("/users/login", json={"user": {
        "email": f"{name}@example.com", "password": "changed-password"}})
    assert relogin.status_code == 200

    deleted = first.delete(f"/articles/{article['slug']}", headers=auth(first_token))
    assert deleted.status_code == 204
    assert second.get(f"/articles/{article['slug']}").status_code == 404


def test_register_on_legacy_write_on_flask_read_and_delete_on_legacy(both) -> None:
    legacy, backend = both
    flow(legacy, backend, "fromlegacy")


def test_register_on_flask_write_on_legacy_read_and_delete_on_flask(both) -> None:
    legacy, backend = both
    flow(backend, legacy, "fromflask")


def test_lists_agree_across_sides(both) -> None:
    legacy, backend = both
    token = legacy.post("/users", json={"user": {
        "username": "lister", "email": "l@example.com", "password": "password123"}}
    ).json()["user"]["token"]
    for number, side in enumerate((legacy, backend, legacy, backend)):
        side.post("/articles", headers=auth(token), json={"article": {
            "title": f"Listed {number}", "description": "d", "body": "b", "tagList": ["l"]}})
    assert legacy.get("/articles").json() == backend.get("/articles").json()
    assert legacy.get("/tags").json() == backend.get("/tags").json()
    slugs = [a["slug"] for a in backend.get("/articles").json()["articles"]]
    assert slugs == ["listed-3", "listed-2", "listed-1", "listed-0"]


@pytest.mark.parametrize("char", ["\ua7cb", "\U00010d50", "\u1c89"])
def test_an_email_only_node_lower_cases_works_across_sides(both, char: str) -> None:
    """Node 20 (Unicode 17) lower-cases these; Python 3.13 (15.1) did not: the account legacy
    stored could not log in through Flask, and Flask let a second account take the email."""
    legacy, backend = both
    email = f"{char}x{ord(char)}@b.co"
    registered = legacy.post("/users", json={"user": {
        "username": f"skew{ord(char)}", "email": email, "password": "password123"}})
    assert registered.status_code == 201
    login = backend.post("/users/login", json={"user": {"email": email,
                                                        "password": "password123"}})
    assert login.status_code == 200, login.text
    again = backend.post("/users", json={"user": {
        "username": f"again{ord(char)}", "email": email, "password": "password123"}})
    assert again.status_code == 422
    assert again.json() == {"errors": {"email": ["has already been taken"]}}
