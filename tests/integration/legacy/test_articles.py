"""Articles: validation, slugs, ownership, deletion and favorites."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from tests.integration.legacy.conduit import Conduit, User

pytestmark = [pytest.mark.legacy, pytest.mark.postgres]

BLANK = "can't be blank"
NOT_STRING = "must be a string"
TAGS_TYPE = "must be an array of strings"
TAGS_LENGTH = "must contain tags of at most 64 characters"
NONE_OF_THREE = "must contain at least one of: title, description, body"


def article(**overrides: Any) -> dict[str, Any]:
    fields = {"title": "Title", "description": "Description", "body": "Body"}
    fields.update(overrides)
    return {key: value for key, value in fields.items() if value is not ...}


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"title": ...}, {"title": [BLANK]}),
        ({"title": "  "}, {"title": [BLANK]}),
        ({"title": 1}, {"title": [NOT_STRING]}),
        ({"title": "t" * 256}, {"title": ["is too long (maximum is 255 characters)"]}),
        ({"title": "a\u0000"}, {"title": ["contains invalid characters"]}),
        ({"description": None}, {"description": [BLANK]}),
        ({"description": {}}, {"description": [NOT_STRING]}),
        (
            {"description": "d" * 1025},
            {"description": ["is too long (maximum is 1024 characters)"]},
        ),
        ({"description": "\u0000"}, {"description": ["contains invalid characters"]}),
        ({"body": ""}, {"body": [BLANK]}),
        ({"body": True}, {"body": [NOT_STRING]}),
        ({"body": "x\u0000y"}, {"body": ["contains invalid characters"]}),
        ({"tagList": "x"}, {"tagList": [TAGS_TYPE]}),
        ({"tagList": {"a": 1}}, {"tagList": [TAGS_TYPE]}),
        ({"tagList": ["ok", 1]}, {"tagList": [TAGS_TYPE]}),
        ({"tagList": ["ok", None]}, {"tagList": [TAGS_TYPE]}),
        ({"tagList": ["t" * 65]}, {"tagList": [TAGS_LENGTH]}),
        ({"tagList": ["a\u0000"]}, {"tagList": [TAGS_LENGTH]}),
        (
            {"tagList": 5, "body": None, "description": 5, "title": ""},
            {"title": [BLANK], "description": [NOT_STRING], "body": [BLANK],
             "tagList": [TAGS_TYPE]},
        ),
    ],
)
def test_create_validation(
    conduit: Conduit, alice: User, overrides: dict[str, Any], errors: dict
) -> None:
    response = conduit.post("/articles", alice, json={"article": article(**overrides)})
    assert response.status_code == 422
    assert response.json() == {"errors": errors}
    assert list(response.json()["errors"]) == list(errors)


@pytest.mark.parametrize("body", [{}, {"article": None}, {"article": [1]}, {"article": 3}])
def test_create_needs_an_article_object(conduit: Conduit, alice: User, body: Any) -> None:
    response = conduit.post("/articles", alice, json=body)
    assert response.status_code == 422
    assert response.json() == {"errors": {"article": ["must be an object"]}}


def test_create_answers_the_article_in_contract_order(conduit: Conduit, alice: User) -> None:
    created = conduit.create_article(alice, "Hello", tagList=None)
    assert list(created) == ["slug", "title", "description", "body", "tagList", "createdAt",
                             "updatedAt", "favorited", "favoritesCount", "author"]
    assert created["tagList"] == []
    assert created["createdAt"] == created["updatedAt"]
    assert created["createdAt"].endswith("Z") and len(created["createdAt"]) == 24
    assert created["author"] == {"username": alice.username, "bio": None, "image": None,
                                 "following": False}
    assert (created["favorited"], created["favoritesCount"]) == (False, 0)


def test_tags_are_trimmed_deduplicated_and_listed_by_name(
    conduit: Conduit, alice: User, legacy_database: str
) -> None:
    created = conduit.create_article(
        alice, tagList=[" zeta ", "alpha", "", "   ", "zeta", "alpha", "Beta"]
    )
    assert created["tagList"] == ["Beta", "alpha", "zeta"]
    with psycopg.connect(legacy_database) as conn:
        rows = conn.execute(
            "SELECT t.name, at.position FROM article_tags at JOIN tags t ON t.id = at.tag_id"
            " JOIN articles a ON a.id = at.article_id WHERE a.slug = %s ORDER BY at.position",
            (created["slug"],),
        ).fetchall()
    assert rows == [("zeta", 0), ("alpha", 1), ("Beta", 2)]


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Café Ünïcode: 日本語!", "cafe-unicode"),
        ("日本語", "article"),
        ("  --Hello,   World--  ", "hello-world"),
        ("ﬁnal ①", "final-1"),
        ("Straße", "stra-e"),
    ],
)
def test_slug_from_unicode_titles(conduit: Conduit, alice: User, title: str, slug: str) -> None:
    created = conduit.create_article(alice, title)
    assert created["title"] == title
    assert created["slug"] == slug or created["slug"].startswith(slug + "-")
    assert created["slug"].removeprefix(slug).lstrip("-").isdigit() or created["slug"] == slug


def test_repeated_titles_get_the_smallest_free_suffix(conduit: Conduit, alice: User) -> None:
    slugs = [conduit.create_article(alice, "Dup Title Q7")["slug"] for _ in range(3)]
    assert slugs == ["dup-title-q7", "dup-title-q7-2", "dup-title-q7-3"]
    assert conduit.delete("/articles/dup-title-q7-2", alice).status_code == 204
    assert conduit.create_article(alice, "Dup Title Q7")["slug"] == "dup-title-q7-2"


def test_a_very_long_expanding_title_still_fits(conduit: Conduit, alice: User) -> None:
    created = conduit.create_article(alice, "\u2177" * 255)  # each NFKD-expands to "viii"
    assert created["slug"] == ("viii" * 75)[:300]
    again = conduit.create_article(alice, "\u2177" * 255)
    assert again["slug"] == created["slug"] + "-2"


def test_a_title_change_changes_the_slug(conduit: Conduit, alice: User) -> None:
    created = conduit.create_article(alice, "Before Rename K3")
    response = conduit.put(
        f"/articles/{created['slug']}", alice,
        json={"article": {"title": "After Rename K3", "tagList": ["ignored"]}},
    )
    assert response.status_code == 200
    updated = response.json()["article"]
    assert (updated["slug"], updated["title"], updated["tagList"]) == (
        "after-rename-k3", "After Rename K3", [])
    assert updated["updatedAt"] > created["updatedAt"]
    assert updated["createdAt"] == created["createdAt"]
    assert conduit.get(f"/articles/{created['slug']}").status_code == 404
    assert conduit.get("/articles/after-rename-k3").json()["article"]["body"] == "The body"


def test_the_articles_own_slug_counts_as_free(conduit: Conduit, alice: User) -> None:
    created = conduit.create_article(alice, "Own Slug M5")
    response = conduit.put(f"/articles/{created['slug']}", alice,
                           json={"article": {"title": "own slug m5!"}})
    assert response.json()["article"]["slug"] == "own-slug-m5"
    same = conduit.put("/articles/own-slug-m5", alice,
                       json={"article": {"title": "own slug m5!", "body": "New"}})
    assert same.json()["article"]["slug"] == "own-slug-m5"
    assert same.json()["article"]["body"] == "New"


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({}, {"article": [NONE_OF_THREE]}),
        ({"tagList": ["x"]}, {"article": [NONE_OF_THREE]}),
        ({"title": None}, {"title": [BLANK]}),
        ({"description": 1, "body": ""}, {"description": [NOT_STRING], "body": [BLANK]}),
    ],
)
def test_update_validation(conduit: Conduit, alice: User, fields: dict, errors: dict) -> None:
    slug = conduit.create_article(alice)["slug"]
    response = conduit.put(f"/articles/{slug}", alice, json={"article": fields})
    assert response.status_code == 422
    assert response.json() == {"errors": errors}


def test_only_the_author_may_change_an_article(conduit: Conduit, alice: User, bob: User) -> None:
    slug = conduit.create_article(alice)["slug"]
    forbidden = {"errors": {"article": ["forbidden"]}}
    for response in (
        conduit.put(f"/articles/{slug}", bob, json={"article": {"title": "Mine"}}),
        conduit.put(f"/articles/{slug}", bob, json={"article": {}}),  # 403 before 422
        conduit.delete(f"/articles/{slug}", bob),
    ):
        assert response.status_code == 403
        assert response.json() == forbidden
    assert conduit.get(f"/articles/{slug}").json()["article"]["title"] == "A title"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/articles/no-such-slug"), ("PUT", "/articles/no-such-slug"),
        ("DELETE", "/articles/no-such-slug"), ("POST", "/articles/no-such-slug/favorite"),
        ("DELETE", "/articles/no-such-slug/favorite"), ("GET", "/articles/no-such-slug/comments"),
        ("POST", "/articles/no-such-slug/comments"),
        ("DELETE", "/articles/no-such-slug/comments/1"), ("GET", "/articles/nul%00slug"),
    ],
)
def test_unknown_slug_is_404(conduit: Conduit, alice: User, method: str, path: str) -> None:
    response = conduit.request(method, path, alice, json={})
    assert response.status_code == 404
    assert response.json() == {"errors": {"article": ["not found"]}}


def test_favorites_are_idempotent(conduit: Conduit, alice: User, bob: User) -> None:
    slug = conduit.create_article(alice)["slug"]
    for _ in range(2):
        favorited = conduit.post(f"/articles/{slug}/favorite", bob)
        assert favorited.status_code == 200
        assert favorited.json()["article"]["favorited"] is True
        assert favorited.json()["article"]["favoritesCount"] == 1
    own = conduit.post(f"/articles/{slug}/favorite", alice).json()["article"]
    assert (own["favorited"], own["favoritesCount"]) == (True, 2)
    assert conduit.get(f"/articles/{slug}").json()["article"]["favorited"] is False
    for _ in range(2):
        unfavorited = conduit.delete(f"/articles/{slug}/favorite", bob)
        assert unfavorited.status_code == 200
        assert unfavorited.json()["article"]["favorited"] is False
        assert unfavorited.json()["article"]["favoritesCount"] == 1


def test_deleting_an_article_removes_its_comments_favorites_and_tag_links(
    conduit: Conduit, alice: User, bob: User, legacy_database: str
) -> None:
    created = conduit.create_article(alice, "Doomed D9", tagList=["doomed-tag-d9"])
    slug = created["slug"]
    conduit.comment(bob, slug)
    conduit.comment(alice, slug)
    conduit.post(f"/articles/{slug}/favorite", bob)
    with psycopg.connect(legacy_database) as conn:
        (article_id,) = conn.execute("SELECT id FROM articles WHERE slug = %s", (slug,)).fetchone()

    response = conduit.delete(f"/articles/{slug}", alice)
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers

    with psycopg.connect(legacy_database) as conn:
        counts = [
            conn.execute(f"SELECT count(*) FROM {table} WHERE article_id = %s",
                         (article_id,)).fetchone()[0]
            for table in ("comments", "favorites", "article_tags")
        ]
        tag = conn.execute("SELECT count(*) FROM tags WHERE name = 'doomed-tag-d9'").fetchone()[0]
        article = conn.execute("SELECT count(*) FROM articles WHERE id = %s",
                               (article_id,)).fetchone()[0]
    assert counts == [0, 0, 0]
    assert (article, tag) == (0, 1)
    assert conduit.get(f"/articles/{slug}").status_code == 404
    assert "doomed-tag-d9" not in conduit.get("/tags").json()["tags"]


def test_concurrent_articles_with_one_title_get_distinct_slugs(
    conduit: Conduit, alice: User
) -> None:
    def create(_: int) -> int:
        response = conduit.post("/articles", alice, json={"article": article(title="Race R4")})
        return response.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(create, range(6)))
    assert statuses == [201] * 6
    listed = conduit.get(f"/articles?author={alice.username}").json()["articles"]
    assert sorted(a["slug"] for a in listed) == sorted(
        ["race-r4"] + [f"race-r4-{n}" for n in range(2, 7)])
