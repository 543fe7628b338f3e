from __future__ import annotations

import jwt
import pytest

from proxy.canary import choose_side, identity, token_subject
from proxy.patterns import canonical_segments
from proxy.schema import Weights
from proxy.validation import load_table

SECRET = "canary-test-secret-of-sufficient-length"


def token(user_id: int) -> str:
    return jwt.encode({"id": user_id, "username": f"user{user_id}"}, SECRET, algorithm="HS256")


def test_token_subject_reads_the_claims_without_verifying() -> None:
    assert token_subject(f"Token {token(7)}") == "id:7"
    assert token_subject("Bearer " + jwt.encode({"sub": "abc"}, SECRET)) == "sub:abc"
    assert token_subject("Token not-a-jwt") is None
    assert token_subject("") is None


def test_identity_falls_back_to_the_client_address() -> None:
    assert identity({"REMOTE_ADDR": "10.0.0.9"}) == "addr:10.0.0.9"
    assert identity({"HTTP_AUTHORIZATION": f"Token {token(3)}", "REMOTE_ADDR": "x"}) == "user:id:3"


def test_the_same_token_always_lands_on_the_same_side() -> None:
    table = load_table(
        "routes:\n  - route: GET /api/articles\n    serve: {flask: 50, legacy: 50}\n",
        "routes.yaml", None,
    )
    for user in range(50):
        environ = {"HTTP_AUTHORIZATION": f"Token {token(user)}", "REMOTE_ADDR": f"10.0.0.{user}"}
        sides = {table.decide("GET", canonical_segments("/api/articles"), environ).side
                 for _ in range(20)}
        assert len(sides) == 1


@pytest.mark.parametrize("percent", [1, 10, 25, 50, 90])
def test_over_1000_users_the_split_is_within_3_points(percent: int) -> None:
    weights = Weights(flask=percent, legacy=100 - percent)
    on_flask = sum(
        choose_side(weights, identity({"HTTP_AUTHORIZATION": f"Token {token(user)}"})) == "flask"
        for user in range(1000)
    )
    assert abs(on_flask / 10 - percent) <= 3


def test_over_1000_users_promotions_only_move_users_to_flask() -> None:
    """A rollout raises the share step by step: whoever Flask served stays on Flask."""
    users = [identity({"HTTP_AUTHORIZATION": f"Token {token(user)}"}) for user in range(1000)]
    on_flask = [{u for u in users if choose_side(Weights(flask=p, legacy=100 - p), u) == "flask"}
                for p in (1, 10, 25, 50)]
    for smaller, larger in zip(on_flask, on_flask[1:], strict=False):
        assert smaller <= larger
    # and a rollback moves every one of them back: nobody is on Flask at 0
    assert not {u for u in users if choose_side(Weights(flask=0, legacy=100), u) == "flask"}
