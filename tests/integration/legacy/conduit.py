"""A small Conduit API client for the legacy tests: users, tokens, articles."""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from tests.support.processes import TEST_JWT_SECRET

_names = itertools.count(1)


@dataclass
class User:
    """A registered user and the token registration gave it."""

    id: int
    username: str
    email: str
    password: str
    token: str


def unique_name(prefix: str = "user") -> str:
    """Return a username nobody else in this test run has."""
    return f"{prefix}{next(_names)}_{uuid.uuid4().hex[:8]}"


def make_token(subject: str | int, *, secret: str = TEST_JWT_SECRET, **claims: Any) -> str:
    """Sign an HS256 token the way legacy does; ``claims`` override or add (None removes)."""
    now = int(time.time())
    payload: dict[str, Any] = {"username": "x", "iat": now, "exp": now + 3600, "sub": str(subject)}
    payload.update(claims)
    payload = {key: value for key, value in payload.items() if value is not None}
    return jwt.encode(payload, secret, algorithm="HS256")


class Conduit:
    """Call the API under ``/api`` of one server, as anonymous or as a user."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def request(
        self, method: str, path: str, user: User | None = None, **kwargs: Any
    ) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"Token {user.token}"
        return self.client.request(method, "/api" + path, headers=headers, **kwargs)

    def get(self, path: str, user: User | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, user, **kwargs)

    def post(self, path: str, user: User | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, user, **kwargs)

    def put(self, path: str, user: User | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, user, **kwargs)

    def delete(self, path: str, user: User | None = None, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, user, **kwargs)

    def register(self, prefix: str = "user") -> User:
        """Register a fresh user and return it."""
        username = unique_name(prefix)
        email = f"{username}@example.com"
        password = "correct horse battery"
        response = self.post(
            "/users", json={"user": {"username": username, "email": email, "password": password}}
        )
        assert response.status_code == 201, response.text
        token = response.json()["user"]["token"]
        user_id = int(jwt.decode(token, TEST_JWT_SECRET, algorithms=["HS256"])["sub"])
        return User(user_id, username, email, password, token)

    def create_article(self, author: User, title: str = "A title", **fields: Any) -> dict:
        """Create an article by ``author`` and return its JSON."""
        article = {"title": title, "description": "About it", "body": "The body", **fields}
        response = self.post("/articles", author, json={"article": article})
        assert response.status_code == 201, response.text
        return response.json()["article"]

    def comment(self, author: User, slug: str, body: str = "Nice") -> dict:
        """Comment on article ``slug`` and return the comment's JSON."""
        response = self.post(f"/articles/{slug}/comments", author, json={"comment": {"body": body}})
        assert response.status_code == 200, response.text
        return response.json()["comment"]
