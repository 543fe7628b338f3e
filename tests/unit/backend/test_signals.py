"""Domain events are published once the change is committed; suppress() silences them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from blinker import Signal

from backend import signals
from tests.unit.backend.conftest import Api


@contextmanager
def received(signal: Signal) -> Iterator[list[tuple[Any, dict]]]:
    calls: list[tuple[Any, dict]] = []

    def receiver(sender: Any, **data: Any) -> None:
        calls.append((sender, data))

    signal.connect(receiver)
    try:
        yield calls
    finally:
        signal.disconnect(receiver)


def test_domain_events(api: Api) -> None:
    with received(signals.user_registered) as registered:
        api.register("jake")
        api.register("bob")
    assert [user.username for user, _ in registered] == ["jake", "bob"]
    with received(signals.article_published) as published:
        slug = api.article("jake")["slug"]
        api.call("POST", "/api/articles", "jake", json={"article": {}})
    assert [article.slug for article, _ in published] == [slug]
    with received(signals.comment_added) as comments:
        api.call("POST", f"/api/articles/{slug}/comments", "bob", json={"comment": {"body": "x"}})
    assert comments[0][0].body == "x" and comments[0][1]["article"].slug == slug
    with received(signals.user_followed) as follows:
        api.call("POST", "/api/profiles/jake/follow", "bob")
        api.call("POST", "/api/profiles/jake/follow", "bob")  # idempotent: no second event
    assert [(follower.username, data["followed"].username) for follower, data in follows] == [
        ("bob", "jake")
    ]


def test_suppressed_signals_reach_no_receiver(api: Api) -> None:
    with received(signals.user_registered) as registered:
        token = signals.suppress()
        try:
            api.register("jake")
        finally:
            signals.restore(token)
        api.register("bob")
    assert [user.username for user, _ in registered] == ["bob"]
