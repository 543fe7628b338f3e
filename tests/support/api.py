"""Call the Conduit API through a Flask test client, as anonymous or as a registered user."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


class Api:
    """Call the API as anonymous or as a registered user (by name)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    def register(self, name: str, password: str = "password123") -> dict[str, Any]:
        response = self.client.post(
            "/api/users",
            json={"user": {"username": name, "email": f"{name}@example.com",
                           "password": password}},
        )
        assert response.status_code == 201, response.text
        self.tokens[name] = response.json["user"]["token"]
        return response.json["user"]

    def call(self, method: str, path: str, user: str | None = None, **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"Token {self.tokens[user]}"
        return self.client.open(path, method=method, headers=headers, **kwargs)

    def article(self, user: str, title: str = "Dragons", **fields: Any) -> dict[str, Any]:
        body = {"title": title, "description": "about", "body": "text", **fields}
        response = self.call("POST", "/api/articles", user, json={"article": body})
        assert response.status_code == 201, response.text
        return response.json["article"]
