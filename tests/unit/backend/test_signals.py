"""Domain events are published once the change is committed; suppress() silences them."""

from __future__ import annotations

from backend import signals
from tests.support.api import Api
from tests.support.signals import received


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
