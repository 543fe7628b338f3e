"""Domain events, as Blinker signals; a shadow dry-run suppresses every receiver.

Senders call :func:`publish`, never ``signal.send`` directly, so that :func:`suppress`
(used by backend.dryrun) can keep side effects from happening for a rolled-back request.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

from blinker import Namespace, Signal

events = Namespace()

user_registered = events.signal("user-registered", doc="sender: the new User")
article_published = events.signal("article-published", doc="sender: the new Article")
comment_added = events.signal("comment-added", doc="sender: the new Comment; article=")
user_followed = events.signal("user-followed", doc="sender: the follower; followed=")

_suppressed: ContextVar[bool] = ContextVar("strangler_signals_suppressed", default=False)


def publish(signal: Signal, sender: Any, **data: Any) -> None:
    """Send ``signal`` unless signals are suppressed in the current context."""
    if _suppressed.get():
        return
    signal.send(sender, **data)


def suppress() -> Token[bool]:
    """Suppress signals until :func:`restore` is called with the returned token."""
    return _suppressed.set(True)


def restore(token: Token[bool]) -> None:
    """Undo :func:`suppress`."""
    _suppressed.reset(token)
