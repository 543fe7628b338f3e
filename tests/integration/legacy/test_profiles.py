"""Profiles and following."""

from __future__ import annotations

import pytest

from tests.integration.legacy.conduit import Conduit, User

pytestmark = [pytest.mark.legacy, pytest.mark.postgres]


def test_profile_shape(conduit: Conduit, alice: User) -> None:
    response = conduit.get(f"/profiles/{alice.username}")
    assert response.status_code == 200
    assert response.json() == {
        "profile": {"username": alice.username, "bio": None, "image": None, "following": False}
    }


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
@pytest.mark.parametrize("name", ["nobody-here", "ALICE", "a%00b"])
def test_unknown_user_is_404(conduit: Conduit, bob: User, method: str, name: str) -> None:
    path = f"/profiles/{name}" if method == "GET" else f"/profiles/{name}/follow"
    response = conduit.request(method, path, bob)
    assert response.status_code == 404
    assert response.json() == {"errors": {"profile": ["not found"]}}


def test_usernames_match_case_sensitively(conduit: Conduit, alice: User) -> None:
    assert conduit.get(f"/profiles/{alice.username.upper()}").status_code == 404


def test_follow_and_unfollow_are_idempotent(conduit: Conduit, alice: User, bob: User) -> None:
    for _ in range(2):
        response = conduit.post(f"/profiles/{bob.username}/follow", alice)
        assert response.status_code == 200
        assert response.json()["profile"]["following"] is True
    assert conduit.get(f"/profiles/{bob.username}", alice).json()["profile"]["following"] is True
    assert conduit.get(f"/profiles/{bob.username}").json()["profile"]["following"] is False
    assert conduit.get(f"/profiles/{alice.username}", bob).json()["profile"]["following"] is False
    for _ in range(2):
        response = conduit.delete(f"/profiles/{bob.username}/follow", alice)
        assert response.status_code == 200
        assert response.json()["profile"]["following"] is False
    assert conduit.get(f"/profiles/{bob.username}", alice).json()["profile"]["following"] is False


def test_following_yourself_is_refused(conduit: Conduit, alice: User) -> None:
    response = conduit.post(f"/profiles/{alice.username}/follow", alice)
    assert response.status_code == 422
    assert response.json() == {"errors": {"profile": ["cannot follow yourself"]}}
    unfollow = conduit.delete(f"/profiles/{alice.username}/follow", alice)
    assert unfollow.status_code == 200
    assert unfollow.json()["profile"]["following"] is False
    assert conduit.get(f"/profiles/{alice.username}", alice).json()["profile"]["following"] is False
