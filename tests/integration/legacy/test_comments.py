"""Comments: validation, order, 404s and ownership."""

from __future__ import annotations

import pytest

from tests.integration.legacy.conduit import Conduit, User

pytestmark = [pytest.mark.legacy, pytest.mark.postgres]


@pytest.fixture
def slug(conduit: Conduit, alice: User) -> str:
    """An article by alice."""
    return conduit.create_article(alice, "Commented")["slug"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({}, {"comment": ["must be an object"]}),
        ({"comment": []}, {"comment": ["must be an object"]}),
        ({"comment": {}}, {"body": ["can't be blank"]}),
        ({"comment": {"body": " "}}, {"body": ["can't be blank"]}),
        ({"comment": {"body": 1}}, {"body": ["must be a string"]}),
        ({"comment": {"body": "\u0000"}}, {"body": ["contains invalid characters"]}),
    ],
)
def test_comment_validation(
    conduit: Conduit, bob: User, slug: str, body: dict, errors: dict
) -> None:
    response = conduit.post(f"/articles/{slug}/comments", bob, json=body)
    assert response.status_code == 422
    assert response.json() == {"errors": errors}


def test_comments_newest_first_with_following(
    conduit: Conduit, alice: User, bob: User, slug: str
) -> None:
    first = conduit.comment(bob, slug, "first")
    assert list(first) == ["id", "createdAt", "updatedAt", "body", "author"]
    second = conduit.comment(alice, slug, "second")
    conduit.post(f"/profiles/{bob.username}/follow", alice)
    comments = conduit.get(f"/articles/{slug}/comments", alice).json()["comments"]
    assert [c["id"] for c in comments] == [second["id"], first["id"]]
    assert [c["author"]["following"] for c in comments] == [False, True]
    anonymous = conduit.get(f"/articles/{slug}/comments").json()["comments"]
    assert [c["author"]["following"] for c in anonymous] == [False, False]


@pytest.mark.parametrize(
    "comment_id", ["0", "-1", "abc", "1.0", "2147483648", "99999999999999999999999999", "999999"]
)
def test_unknown_comment_is_404(conduit: Conduit, alice: User, slug: str, comment_id: str) -> None:
    response = conduit.delete(f"/articles/{slug}/comments/{comment_id}", alice)
    assert response.status_code == 404
    assert response.json() == {"errors": {"comment": ["not found"]}}


def test_a_comment_of_another_article_is_404(
    conduit: Conduit, alice: User, slug: str
) -> None:
    other = conduit.create_article(alice, "Other")["slug"]
    comment = conduit.comment(alice, other)
    response = conduit.delete(f"/articles/{slug}/comments/{comment['id']}", alice)
    assert response.status_code == 404
    assert response.json() == {"errors": {"comment": ["not found"]}}


def test_only_the_writer_may_delete_a_comment(
    conduit: Conduit, alice: User, bob: User, slug: str
) -> None:
    comment = conduit.comment(bob, slug)
    path = f"/articles/{slug}/comments/{comment['id']}"
    response = conduit.delete(path, alice)  # the article's author, not the comment's
    assert response.status_code == 403
    assert response.json() == {"errors": {"comment": ["forbidden"]}}
    deleted = conduit.delete(path, bob)
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert conduit.delete(path, bob).status_code == 404
    assert conduit.get(f"/articles/{slug}/comments").json() == {"comments": []}
