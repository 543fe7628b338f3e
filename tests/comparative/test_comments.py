"""Comments, on both sides."""

from __future__ import annotations

from tests.comparative.scenario import Scenario, Step


def test_comments(scenario: Scenario) -> None:
    s = scenario
    s.register("alice")
    s.register("bob")
    s.run(
        Step("POST", "/api/articles", {"article": {"title": f"Commented {s.suffix}",
                                                   "description": "d", "body": "b"}},
             user="alice", capture={"slug": "article.slug"}),
        Step("POST", "/api/articles", {"article": {"title": f"Other {s.suffix}",
                                                   "description": "d", "body": "b"}},
             user="bob", capture={"other": "article.slug"}),
        Step("GET", "/api/articles/{slug}/comments"),
        Step("POST", "/api/articles/{slug}/comments", {"comment": {"body": "First! 🎉"}},
             user="bob", capture={"c1": "comment.id"}),
        Step("POST", "/api/articles/{slug}/comments", {"comment": {"body": "Thanks"}},
             user="alice", capture={"c2": "comment.id"}),
        Step("POST", "/api/articles/{other}/comments", {"comment": {"body": "elsewhere"}},
             user="alice", capture={"c3": "comment.id"}),
        Step("POST", f"/api/profiles/{s.username('bob')}/follow", user="alice"),
        Step("GET", "/api/articles/{slug}/comments"),
        Step("GET", "/api/articles/{slug}/comments", user="alice"),
        Step("GET", "/api/articles/missing-article/comments"),
        Step("POST", "/api/articles/{slug}/comments", {"comment": {"body": ""}}, user="bob"),
        Step("POST", "/api/articles/{slug}/comments", {"comment": {"body": None}}, user="bob"),
        Step("POST", "/api/articles/{slug}/comments", {"comment": {"body": 5}}, user="bob"),
        Step("POST", "/api/articles/{slug}/comments", {"comment": {"body": "\u0000"}}, user="bob"),
        Step("POST", "/api/articles/{slug}/comments", {"comment": "hi"}, user="bob"),
        Step("POST", "/api/articles/{slug}/comments", {}, user="bob"),
        Step("POST", "/api/articles/{slug}/comments", {"comment": {"body": "x"}}),
        Step("POST", "/api/articles/missing-article/comments", {}, user="bob"),
        Step("DELETE", "/api/articles/{slug}/comments/{c1}", user="alice"),
        Step("DELETE", "/api/articles/{slug}/comments/{c3}", user="alice"),
        Step("DELETE", "/api/articles/{slug}/comments/0", user="bob"),
        Step("DELETE", "/api/articles/{slug}/comments/abc", user="bob"),
        Step("DELETE", "/api/articles/{slug}/comments/2147483648", user="bob"),
        Step("DELETE", "/api/articles/{slug}/comments/99999999", user="bob"),
        Step("DELETE", "/api/articles/{slug}/comments/-1", user="bob"),
        Step("DELETE", "/api/articles/{slug}/comments/{c1}"),
        Step("DELETE", "/api/articles/missing-article/comments/{c1}", user="bob"),
        Step("DELETE", "/api/articles/{slug}/comments/{c1}", user="bob"),
        Step("DELETE", "/api/articles/{slug}/comments/{c1}", user="bob"),
        Step("GET", "/api/articles/{slug}/comments", user="bob"),
        Step("DELETE", "/api/articles/{slug}", user="alice"),
        Step("GET", "/api/articles/{slug}/comments"),
        Step("DELETE", "/api/articles/{slug}/comments/{c2}", user="alice"),
    )
