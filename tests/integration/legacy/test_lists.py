"""Article lists and the feed: filters, pagination, order, counts; the tags endpoint."""

from __future__ import annotations

import uuid

import pytest

from tests.integration.legacy.conduit import Conduit, User

pytestmark = [pytest.mark.legacy, pytest.mark.postgres]

LIMIT = "must be an integer from 1 to 100"
OFFSET = "must be an integer from 0 to 2147483647"


@pytest.fixture(scope="module")
def writer(conduit: Conduit) -> User:
    """A user with five articles, created oldest to newest."""
    user = conduit.register("writer")
    for n in range(5):
        conduit.create_article(user, f"Writer article {n}", tagList=[f"n{n % 2}"])
    return user


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ("limit=0", {"limit": [LIMIT]}),
        ("limit=101", {"limit": [LIMIT]}),
        ("limit=-1", {"limit": [LIMIT]}),
        ("limit=1.5", {"limit": [LIMIT]}),
        ("limit=abc", {"limit": [LIMIT]}),
        ("limit=", {"limit": [LIMIT]}),
        ("limit=+5", {"limit": [LIMIT]}),
        ("limit=%205", {"limit": [LIMIT]}),
        ("limit=1&limit=2", {"limit": [LIMIT]}),
        ("limit=99999999999999999999999", {"limit": [LIMIT]}),
        ("offset=-1", {"offset": [OFFSET]}),
        ("offset=2147483648", {"offset": [OFFSET]}),
        ("offset=1e3", {"offset": [OFFSET]}),
        ("offset=", {"offset": [OFFSET]}),
        ("tag=a&tag=b", {"tag": ["must be a single value"]}),
        ("author=a&author=b", {"author": ["must be a single value"]}),
        ("favorited=a&favorited=a", {"favorited": ["must be a single value"]}),
        ("tag=a%00b", {"tag": ["contains invalid characters"]}),
        ("author=%00", {"author": ["contains invalid characters"]}),
        (
            "offset=x&limit=0&favorited=%00&author=1&author=2&tag=t&tag=u",
            {"tag": ["must be a single value"], "author": ["must be a single value"],
             "favorited": ["contains invalid characters"], "limit": [LIMIT], "offset": [OFFSET]},
        ),
    ],
)
def test_list_query_validation(conduit: Conduit, query: str, errors: dict) -> None:
    response = conduit.get(f"/articles?{query}")
    assert response.status_code == 422
    assert response.json() == {"errors": errors}
    assert list(response.json()["errors"]) == list(errors)


@pytest.mark.parametrize(
    ("query", "errors"),
    [("limit=0", {"limit": [LIMIT]}), ("offset=2147483648", {"offset": [OFFSET]})],
)
def test_feed_query_validation(conduit: Conduit, alice: User, query: str, errors: dict) -> None:
    response = conduit.get(f"/articles/feed?{query}", alice)
    assert response.status_code == 422
    assert response.json() == {"errors": errors}


@pytest.mark.parametrize("query", ["limit=1", "limit=100", "limit=007", "offset=0",
                                   "offset=2147483647", "tag=&author=&favorited="])
def test_list_query_bounds_are_accepted(conduit: Conduit, writer: User, query: str) -> None:
    response = conduit.get(f"/articles?{query}")
    assert response.status_code == 200


def test_huge_offset_gives_an_empty_page_with_the_total(conduit: Conduit, writer: User) -> None:
    response = conduit.get(f"/articles?author={writer.username}&offset=2147483647")
    assert response.json() == {"articles": [], "articlesCount": 5}


def test_newest_first_and_count_is_the_total(conduit: Conduit, writer: User) -> None:
    page = conduit.get(f"/articles?author={writer.username}&limit=2&offset=1").json()
    assert page["articlesCount"] == 5
    assert [a["title"] for a in page["articles"]] == ["Writer article 3", "Writer article 2"]
    everything = conduit.get(f"/articles?author={writer.username}").json()["articles"]
    assert [a["title"] for a in everything] == [f"Writer article {n}" for n in (4, 3, 2, 1, 0)]
    stamps = [a["createdAt"] for a in everything]
    assert stamps == sorted(stamps, reverse=True)
    assert all("body" not in a for a in everything)
    assert list(everything[0]) == ["slug", "title", "description", "tagList", "createdAt",
                                   "updatedAt", "favorited", "favoritesCount", "author"]


def test_default_limit_is_20(conduit: Conduit) -> None:
    user = conduit.register("many")
    for n in range(21):
        conduit.create_article(user, f"Many {n}")
    page = conduit.get(f"/articles?author={user.username}").json()
    assert (len(page["articles"]), page["articlesCount"]) == (20, 21)
    assert page["articles"][-1]["title"] == "Many 1"


def test_filters_combine_with_and(conduit: Conduit, alice: User, bob: User) -> None:
    tag = f"combo-{uuid.uuid4().hex[:8]}"
    fan = conduit.register("fan")
    liked_tagged = conduit.create_article(alice, "Liked tagged", tagList=[tag])["slug"]
    conduit.create_article(alice, "Not liked tagged", tagList=[tag])
    liked_untagged = conduit.create_article(alice, "Liked untagged")["slug"]
    other = conduit.create_article(bob, "Bob liked tagged", tagList=[tag])["slug"]
    for slug in (liked_tagged, liked_untagged, other):
        conduit.post(f"/articles/{slug}/favorite", fan)

    def titles(query: str) -> tuple[list[str], int]:
        body = conduit.get(f"/articles?{query}", fan).json()
        return [a["title"] for a in body["articles"]], body["articlesCount"]

    assert titles(f"tag={tag}&author={alice.username}&favorited={fan.username}") == (
        ["Liked tagged"], 1)
    assert titles(f"tag={tag}&favorited={fan.username}") == (
        ["Bob liked tagged", "Liked tagged"], 2)
    assert titles(f"author={alice.username}&favorited={fan.username}") == (
        ["Liked untagged", "Liked tagged"], 2)
    assert titles(f"tag={tag}&author={bob.username}&favorited={alice.username}") == ([], 0)
    assert titles("tag=no-such-tag-anywhere") == ([], 0)
    assert titles("author=nobody-at-all") == ([], 0)
    favorited = conduit.get(f"/articles?favorited={fan.username}", fan).json()["articles"]
    assert all(a["favorited"] and a["favoritesCount"] == 1 for a in favorited)


def test_feed_shows_followed_authors_newest_first(
    conduit: Conduit, alice: User, bob: User, writer: User
) -> None:
    assert conduit.get("/articles/feed", alice).json() == {"articles": [], "articlesCount": 0}
    conduit.create_article(bob, "Bob in feed")
    conduit.post(f"/profiles/{bob.username}/follow", alice)
    conduit.post(f"/profiles/{writer.username}/follow", alice)
    feed = conduit.get("/articles/feed?limit=3", alice).json()
    assert feed["articlesCount"] == 6
    assert [a["title"] for a in feed["articles"]] == [
        "Bob in feed", "Writer article 4", "Writer article 3"]
    assert all(a["author"]["following"] for a in feed["articles"])


def test_tags_most_used_first_then_code_point_order(conduit: Conduit, alice: User) -> None:
    prefix = f"t{uuid.uuid4().hex[:6]}"
    names = {k: prefix + k for k in ("b", "a", "Z", "\uff21", "\U0001f600", "é")}
    conduit.create_article(alice, tagList=[names["b"], names["\U0001f600"]])
    conduit.create_article(alice, tagList=[names["b"], names["a"], names["é"]])
    conduit.create_article(alice, tagList=[names["b"], names["Z"], names["\uff21"]])
    conduit.create_article(alice, tagList=[names["a"]])
    tags = [t for t in conduit.get("/tags").json()["tags"] if t.startswith(prefix)]
    assert tags == [prefix + k for k in ("b", "a", "Z", "é", "\uff21", "\U0001f600")]
