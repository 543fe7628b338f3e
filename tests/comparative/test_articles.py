"""Articles with tags, favorites, lists, the feed, updates and deletes, on both sides."""

from __future__ import annotations

import pytest

from tests.comparative.scenario import Scenario, Step


def article(title: str = "How to train your dragon", **fields: object) -> dict:
    return {"article": {"title": title, "description": "Ever wonder how?",
                        "body": "You have to believe", **fields}}


def test_article_lifecycle(scenario: Scenario) -> None:
    s = scenario
    s.register("alice")
    s.register("bob")
    alice, bob = s.username("alice"), s.username("bob")
    title = f"Café Ünïcode: 日本語! {s.suffix}"
    s.run(
        Step("POST", "/api/articles", article(title, tagList=[" zeta ", "alpha", "zeta", "", "\t",
                                                            "Ωmega", "émoji😀", "B", "a"]),
             user="alice", capture={"slug": "article.slug"}),
        Step("POST", "/api/articles", article(title), user="alice",
             capture={"slug2": "article.slug"}),
        Step("POST", "/api/articles", article(title, tagList=None), user="bob",
             capture={"slug3": "article.slug"}),
        Step("GET", "/api/articles/{slug}"),
        Step("GET", "/api/articles/{slug2}", user="bob"),
        Step("GET", "/api/articles/{slug3}", user="alice"),
        Step("POST", "/api/articles/{slug}/favorite", user="bob"),
        Step("POST", "/api/articles/{slug}/favorite", user="bob"),
        Step("POST", "/api/articles/{slug}/favorite", user="alice"),
        Step("GET", "/api/articles/{slug}", user="bob"),
        Step("GET", "/api/articles/{slug}"),
        Step("DELETE", "/api/articles/{slug}/favorite", user="alice"),
        Step("DELETE", "/api/articles/{slug}/favorite", user="alice"),
        Step("POST", f"/api/profiles/{alice}/follow", user="bob"),
        Step("GET", "/api/articles/{slug}", user="bob"),
        Step("GET", f"/api/articles?author={alice}", user="bob"),
        Step("GET", f"/api/articles?favorited={bob}"),
        Step("GET", f"/api/articles?tag=alpha&author={alice}&favorited={bob}"),
        Step("GET", "/api/articles?tag=%C3%A9moji%F0%9F%98%80&limit=1&offset=0"),
        Step("GET", "/api/articles/feed?limit=2", user="bob"),
        Step("GET", "/api/articles/feed?offset=1", user="bob"),
        Step("GET", "/api/articles/feed", user="alice"),
        Step("PUT", "/api/articles/{slug}", {"article": {"body": "Updated", "tagList": ["x"]}},
             user="alice"),
        Step("PUT", "/api/articles/{slug}", {"article": {"title": title}}, user="alice"),
        Step("PUT", "/api/articles/{slug}", {"article": {"title": f"Renamed {s.suffix}"}},
             user="alice", capture={"slug": "article.slug"}),
        Step("GET", "/api/articles/{slug}", user="alice"),
        Step("PUT", "/api/articles/{slug2}", {"article": {"title": f"Renamed {s.suffix}"}},
             user="alice", capture={"slug2": "article.slug"}),
        Step("PUT", "/api/articles/{slug}", {"article": {"title": "x"}}, user="bob"),
        Step("PUT", "/api/articles/{slug}", {"article": {}}, user="alice"),
        Step("PUT", "/api/articles/{slug}", {"article": {"tagList": []}}, user="alice"),
        Step("PUT", "/api/articles/{slug}", {"article": None}, user="alice"),
        Step("PUT", "/api/articles/{slug}", {"article": {"title": None, "description": "",
                                                          "body": 3}}, user="alice"),
        Step("PUT", "/api/articles/missing-article", {"article": {}}, user="alice"),
        Step("PUT", "/api/articles/{slug}", {"article": {"body": "x"}}),
        Step("DELETE", "/api/articles/{slug}", user="bob"),
        Step("DELETE", "/api/articles/{slug}"),
        Step("DELETE", "/api/articles/missing-article", user="bob"),
        Step("DELETE", "/api/articles/{slug}", user="alice"),
        Step("GET", "/api/articles/{slug}"),
        Step("DELETE", "/api/articles/{slug}", user="alice"),
        Step("POST", "/api/articles/{slug}/favorite", user="bob"),
        Step("DELETE", "/api/articles/{slug}/favorite", user="bob"),
        Step("GET", f"/api/articles?author={alice}"),
        Step("GET", "/api/tags"),
    )


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"article": None},
        {"article": []},
        {"article": {}},
        {"article": {"title": "", "description": " ", "body": None}},
        {"article": {"title": 1, "description": False, "body": {}}},
        {"article": {"title": "t" * 256, "description": "d" * 1025, "body": "b\u0000"}},
        {"article": {"title": "t\u0000", "description": "d\u0000", "body": "b"}},
        article(tagList="dragons"),
        article(tagList=[1, "x"]),
        article(tagList=["t" * 65]),
        article(tagList=["  " + "t" * 64 + "  "]),
        article(tagList=["nul\u0000"]),
        article(title="", tagList={"a": 1}),
        article(title="!!!"),
        article(title="🐉🐉"),
        article(title="ﬁ ligature ｆｕｌｌ ＷＩＤＴＨ İstanbul"),
        article(title="x" * 255),
        article(title="lone\ud800surrogate", body="b\udfff"),
    ],
)
def test_create_article_validation_and_slugs(scenario: Scenario, body: dict) -> None:
    scenario.register("writer")
    scenario.run(Step("POST", "/api/articles", body, user="writer"),
                 Step("POST", "/api/articles", body, user="writer"),
                 Step("POST", "/api/articles", body))


@pytest.mark.parametrize(
    "query",
    [
        "limit=0", "limit=101", "limit=-1", "limit=1.5", "limit=abc", "limit=", "limit=%201",
        "limit=007", "limit=100", "offset=-1", "offset=2147483648", "offset=2147483647",
        "offset=", "offset=1e3", "limit=1&limit=2", "offset=1&offset=1", "tag=a&tag=b",
        "author=a&author=b&favorited=x&favorited=y&limit=0&offset=x", "tag=%00", "author=a%00b",
        "favorited=%00&limit=x", "tag=", "author=&favorited=", "tag=nope", "author=nobody",
        "favorited=nobody", "tag[]=a", "limit[]=1", "tag=dragons&limit=1&offset=1",
        "TAG=dragons", "limit=99999999999999999999", "limit=+5", "limit=%2B5",
        "favorited=a&favorited=a", "offset=x&limit=0&favorited=%00&author=1&author=2&tag=t&tag=u",
    ],
)
def test_list_query_parameters(scenario: Scenario, query: str) -> None:
    scenario.register("reader")
    scenario.run(
        Step("GET", f"/api/articles?{query}"),
        Step("GET", f"/api/articles/feed?{query}", user="reader"),
    )


def test_lists_and_pagination(scenario: Scenario) -> None:
    s = scenario
    for who in ("ann", "ben", "cat"):
        s.register(who)
    steps = []
    for number in range(7):
        who = ("ann", "ben", "cat")[number % 3]
        steps.append(Step("POST", "/api/articles",
                          article(f"Paged {s.suffix}", tagList=[f"tag{number % 2}", s.suffix]),
                          user=who, capture={f"slug{number}": "article.slug"}))
    s.run(*steps)
    s.run(
        Step("POST", "/api/articles/{slug0}/favorite", user="ben"),
        Step("POST", "/api/articles/{slug3}/favorite", user="ben"),
        Step("POST", "/api/articles/{slug3}/favorite", user="cat"),
        Step("POST", f"/api/profiles/{s.username('ann')}/follow", user="cat"),
        Step("POST", f"/api/profiles/{s.username('ben')}/follow", user="cat"),
        Step("GET", f"/api/articles?tag={s.suffix}"),
        Step("GET", f"/api/articles?tag={s.suffix}&limit=2", user="ben"),
        Step("GET", f"/api/articles?tag={s.suffix}&limit=2&offset=2", user="cat"),
        Step("GET", f"/api/articles?tag={s.suffix}&limit=2&offset=6"),
        Step("GET", f"/api/articles?tag={s.suffix}&offset=7"),
        Step("GET", f"/api/articles?favorited={s.username('ben')}", user="ben"),
        Step("GET", f"/api/articles?tag=tag1&author={s.username('ben')}"),
        Step("GET", "/api/articles/feed", user="cat"),
        Step("GET", "/api/articles/feed?limit=1&offset=2", user="cat"),
        Step("GET", "/api/articles/feed"),
        Step("GET", "/api/articles?limit=3"),
        Step("GET", "/api/tags"),
        Step("HEAD", "/api/articles?limit=3"),
    )
