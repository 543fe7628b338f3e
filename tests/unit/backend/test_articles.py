"""Articles, favorites, lists, the feed, profiles, comments and tags through the API."""

from __future__ import annotations

import pytest

from tests.support.api import Api


def test_create_and_read_an_article(api: Api) -> None:
    api.register("jake")
    article = api.article("jake", "Café Ünïcode: 日本語!", tagList=[" b ", "a", "b", "", "Z"])
    assert list(article) == ["slug", "title", "description", "body", "tagList", "createdAt",
                             "updatedAt", "favorited", "favoritesCount", "author"]
    assert article["slug"] == "cafe-unicode"
    assert article["tagList"] == ["Z", "a", "b"]
    assert article["createdAt"] == article["updatedAt"]
    assert article["createdAt"].endswith("Z") and len(article["createdAt"]) == 24
    assert api.article("jake", "Café Ünïcode: 日本語!")["slug"] == "cafe-unicode-2"
    assert api.article("jake", "!!!")["slug"] == "article"
    shown = api.call("GET", "/api/articles/cafe-unicode")
    assert shown.json["article"]["author"] == {"username": "jake", "bio": None, "image": None,
                                               "following": False}
    missing = api.call("GET", "/api/articles/nope")
    assert missing.status_code == 404
    assert missing.json == {"errors": {"article": ["not found"]}}


@pytest.mark.parametrize(
    "fields, errors",
    [
        ({"title": "", "description": None, "body": 1},
         {"title": ["can't be blank"], "description": ["can't be blank"],
          "body": ["must be a string"]}),
        ({"title": "t" * 256, "description": "d" * 1025, "body": "\u0000"},
         {"title": ["is too long (maximum is 255 characters)"],
          "description": ["is too long (maximum is 1024 characters)"],
          "body": ["contains invalid characters"]}),
        ({"title": "t", "description": "d", "body": "b", "tagList": "x"},
         {"tagList": ["must be an array of strings"]}),
        ({"title": "t", "description": "d", "body": "b", "tagList": ["t" * 65]},
         {"tagList": ["must contain tags of at most 64 characters"]}),
    ],
)
def test_create_validation(api: Api, fields: dict, errors: dict) -> None:
    api.register("jake")
    response = api.call("POST", "/api/articles", "jake", json={"article": fields})
    assert response.status_code == 422
    assert response.json == {"errors": errors}


def test_update_and_delete_an_article(api: Api) -> None:
    api.register("jake")
    api.register("bob")
    slug = api.article("jake", "First")["slug"]
    api.article("jake", "Second")
    forbidden = api.call("PUT", f"/api/articles/{slug}", "bob", json={"article": {"body": "x"}})
    assert forbidden.status_code == 403
    assert forbidden.json == {"errors": {"article": ["forbidden"]}}
    empty = api.call("PUT", f"/api/articles/{slug}", "jake", json={"article": {"tagList": []}})
    assert empty.json == {"errors": {"article": [
        "must contain at least one of: title, description, body"]}}
    invalid = api.call("PUT", f"/api/articles/{slug}", "jake", json={"article": {"title": ""}})
    assert invalid.json == {"errors": {"title": ["can't be blank"]}}
    same_title = api.call("PUT", f"/api/articles/{slug}", "jake",
                          json={"article": {"title": "First", "body": "new"}})
    assert same_title.json["article"]["slug"] == "first"
    assert same_title.json["article"]["body"] == "new"
    renamed = api.call("PUT", f"/api/articles/{slug}", "jake",
                       json={"article": {"title": "Second"}})
    assert renamed.json["article"]["slug"] == "second-2"
    assert api.call("DELETE", "/api/articles/second-2", "bob").status_code == 403
    deleted = api.call("DELETE", "/api/articles/second-2", "jake")
    assert deleted.status_code == 204
    assert deleted.data == b""
    assert "Content-Type" not in deleted.headers
    assert api.call("GET", "/api/articles/second-2").status_code == 404


def test_favorites(api: Api) -> None:
    api.register("jake")
    api.register("bob")
    slug = api.article("jake")["slug"]
    for _ in range(2):
        favorited = api.call("POST", f"/api/articles/{slug}/favorite", "bob")
        assert favorited.json["article"]["favorited"] is True
        assert favorited.json["article"]["favoritesCount"] == 1
    own = api.call("POST", f"/api/articles/{slug}/favorite", "jake")
    assert own.json["article"]["favoritesCount"] == 2
    assert api.call("GET", f"/api/articles/{slug}").json["article"]["favorited"] is False
    for _ in range(2):
        removed = api.call("DELETE", f"/api/articles/{slug}/favorite", "bob")
        assert removed.json["article"]["favorited"] is False
        assert removed.json["article"]["favoritesCount"] == 1
    assert api.call("POST", "/api/articles/nope/favorite", "bob").status_code == 404


def test_lists_filters_and_feed(api: Api) -> None:
    for name in ("jake", "bob", "cat"):
        api.register(name)
    for number in range(5):
        api.article(("jake", "bob")[number % 2], f"Article {number}", tagList=[f"t{number % 2}"])
    api.call("POST", "/api/articles/article-1/favorite", "cat")
    listing = api.call("GET", "/api/articles?limit=2&offset=1", "cat").json
    assert listing["articlesCount"] == 5
    assert [a["slug"] for a in listing["articles"]] == ["article-3", "article-2"]
    assert "body" not in listing["articles"][0]
    assert api.call("GET", "/api/articles?tag=t1").json["articlesCount"] == 2
    assert api.call("GET", "/api/articles?author=jake&tag=t0").json["articlesCount"] == 3
    favorited = api.call("GET", "/api/articles?favorited=cat", "cat").json
    assert [(a["slug"], a["favorited"]) for a in favorited["articles"]] == [("article-1", True)]
    assert api.call("GET", "/api/articles?author=nobody").json == {"articles": [],
                                                                   "articlesCount": 0}
    assert api.call("GET", "/api/articles/feed", "cat").json == {"articles": [],
                                                                 "articlesCount": 0}
    api.call("POST", "/api/profiles/bob/follow", "cat")
    feed = api.call("GET", "/api/articles/feed", "cat").json
    assert [a["slug"] for a in feed["articles"]] == ["article-3", "article-1"]
    assert all(a["author"]["following"] for a in feed["articles"])
    beyond = api.call("GET", "/api/articles?offset=10").json
    assert beyond == {"articles": [], "articlesCount": 5}


@pytest.mark.parametrize(
    "query, errors",
    [
        ("limit=0", {"limit": ["must be an integer from 1 to 100"]}),
        ("limit=1&limit=2", {"limit": ["must be an integer from 1 to 100"]}),
        ("offset=-1", {"offset": ["must be an integer from 0 to 2147483647"]}),
        ("tag=a&tag=b&author=%00&limit=x",
         {"tag": ["must be a single value"], "author": ["contains invalid characters"],
          "limit": ["must be an integer from 1 to 100"]}),
    ],
)
def test_list_query_errors(api: Api, query: str, errors: dict) -> None:
    response = api.call("GET", f"/api/articles?{query}")
    assert response.status_code == 422
    assert response.json == {"errors": errors}


def test_profiles_and_follows(api: Api) -> None:
    api.register("jake")
    api.register("bob")
    assert api.call("GET", "/api/profiles/bob", "jake").json["profile"]["following"] is False
    assert api.call("POST", "/api/profiles/bob/follow", "jake").json["profile"]["following"]
    assert api.call("POST", "/api/profiles/bob/follow", "jake").status_code == 200
    assert api.call("GET", "/api/profiles/bob", "jake").json["profile"]["following"] is True
    assert api.call("GET", "/api/profiles/bob").json["profile"]["following"] is False
    self_follow = api.call("POST", "/api/profiles/jake/follow", "jake")
    assert self_follow.status_code == 422
    assert self_follow.json == {"errors": {"profile": ["cannot follow yourself"]}}
    unfollowed = api.call("DELETE", "/api/profiles/bob/follow", "jake")
    assert unfollowed.json["profile"]["following"] is False
    assert api.call("DELETE", "/api/profiles/jake/follow", "jake").status_code == 200
    missing = api.call("GET", "/api/profiles/BOB")
    assert missing.status_code == 404
    assert missing.json == {"errors": {"profile": ["not found"]}}
    assert api.call("GET", "/api/profiles/a%00b").status_code == 404


def test_comments(api: Api) -> None:
    api.register("jake")
    api.register("bob")
    slug = api.article("jake")["slug"]
    other = api.article("bob", "Other")["slug"]
    first = api.call("POST", f"/api/articles/{slug}/comments", "bob",
                     json={"comment": {"body": "first"}})
    assert first.status_code == 200
    assert list(first.json["comment"]) == ["id", "createdAt", "updatedAt", "body", "author"]
    api.call("POST", f"/api/articles/{slug}/comments", "jake", json={"comment": {"body": "2nd"}})
    elsewhere = api.call("POST", f"/api/articles/{other}/comments", "jake",
                         json={"comment": {"body": "x"}}).json["comment"]["id"]
    api.call("POST", "/api/profiles/bob/follow", "jake")
    listed = api.call("GET", f"/api/articles/{slug}/comments", "jake").json["comments"]
    assert [(c["body"], c["author"]["following"]) for c in listed] == [("2nd", False),
                                                                      ("first", True)]
    invalid = api.call("POST", f"/api/articles/{slug}/comments", "bob",
                       json={"comment": {"body": ""}})
    assert invalid.json == {"errors": {"body": ["can't be blank"]}}
    assert api.call("POST", f"/api/articles/{slug}/comments", "bob",
                    json={}).json == {"errors": {"comment": ["must be an object"]}}
    comment_id = first.json["comment"]["id"]
    for bad in ("0", "x", "2147483648", str(elsewhere)):
        response = api.call("DELETE", f"/api/articles/{slug}/comments/{bad}", "bob")
        assert response.json == {"errors": {"comment": ["not found"]}}
    forbidden = api.call("DELETE", f"/api/articles/{slug}/comments/{comment_id}", "jake")
    assert forbidden.json == {"errors": {"comment": ["forbidden"]}}
    assert api.call("DELETE", f"/api/articles/{slug}/comments/{comment_id}",
                    "bob").status_code == 204
    assert api.call("GET", "/api/articles/nope/comments").status_code == 404


def test_tags_most_used_first_then_code_point_order(api: Api) -> None:
    api.register("jake")
    api.article("jake", "One", tagList=["b", "é", "Z", "😀", "\uffee"])
    api.article("jake", "Two", tagList=["b", "a"])
    api.article("jake", "Three", tagList=["a", "b"])
    assert api.call("GET", "/api/tags").json == {"tags": ["b", "a", "Z", "é", "\uffee", "😀"]}
