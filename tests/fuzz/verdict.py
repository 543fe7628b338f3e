"""When a pair of replies (and the databases after them) count as the same, and why not.

Replies are compared by ``tests.comparative.parity`` (its forgiven differences: each side's
own token signatures and times, timestamp values, ETags that follow them, connection headers)
with one rule more: when neither reply came from the application (no ``X-Powered-By``: the
HTTP server refused the request itself, Node with an empty body, gunicorn with an HTML page),
only the status codes are compared. Databases are compared by ``tables.compare`` (clock and
bcrypt salt noise only). A difference is named after the request's shapes; those that come
from the HTTP servers, not the application, are documented in docs/fuzzing.md. An
application 5xx or a missing reply is reported even when both sides agree on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.comparative.exchange import Reply
from tests.comparative.parity import compare as compare_replies
from tests.fuzz.tables import TableDifference
from tests.fuzz.wire import RawRequest

TTL = 2592000
# Shapes in the order they explain a difference: the first one a request carries names it.
CAUSES = [
    ("server-layer", "HTTP server layer"),
    ("jwt:", "JWT acceptance"),
    ("fragment", "fragment in the request target"),
    ("backslash", "request target parsing"),
    ("absolute-target", "request target parsing"),
    ("query:many", "query strings past 1,000 pairs"),
    ("query:repeated", "repeated query parameters"),
    ("headers:", "repeated headers"),
    ("content-encoding", "Content-Encoding"),
    ("charset", "charset parameters"),
    ("text:", "body text encodings"),
    ("unicode-skew", "Unicode version skew"),
    ("method:", "request methods"),
]


@dataclass
class Difference:
    """One request on which legacy and the backend disagreed."""

    cause: str
    documented: bool
    request: RawRequest
    replies: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)

    def record(self) -> dict:
        return {
            "cause": self.cause, "documented": self.documented,
            "method": self.request.method, "target": self.request.target[:500],
            "headers": [[n, v[:200]] for n, v in self.request.header_lines[:20]],
            "body": (self.request.body or b"")[:500].decode("latin-1"),
            "shapes": sorted(self.request.shapes),
            "replies": self.replies, "tables": [t[:1000] for t in self.tables],
        }


def reached_application(reply: Reply) -> bool:
    return reply.header("x-powered-by") is not None


def reply_mismatches(legacy: Reply, backend: Reply) -> list[str]:
    """Return what differs between the replies, after the forgiven differences."""
    if not reached_application(legacy) and not reached_application(backend):
        if legacy.status == backend.status:
            return []
        return [f"HTTP server status: legacy {legacy.status}, backend {backend.status}"]
    return [str(mismatch)[:2000] for mismatch in compare_replies(legacy, backend, ttl=TTL)]


def observed_shapes(request: RawRequest) -> set[str]:
    """Return the shapes a request shows, whichever generator built it."""
    shapes = set()
    path, _, query = request.target.partition("?")
    if "#" in request.target:
        shapes.add("fragment")
    if "\\" in path:
        shapes.add("backslash")
    if not request.target.startswith("/"):
        shapes.add("absolute-target")
    names = [pair.split("=")[0] for pair in query.split("#")[0].split("&") if pair]
    if len(names) >= 1000:
        shapes.add("query:many")
    elif len(set(names)) < len(names):
        shapes.add("query:repeated")
    headers = [name.lower() for name, _ in request.header_lines]
    if len(set(headers)) < len(headers):
        shapes.add("headers:repeated")
    if "content-encoding" in headers:
        shapes.add("content-encoding")
    if any(name == "content-type" and "charset" in value.lower()
           for name, value in ((n.lower(), v) for n, v in request.header_lines)):
        shapes.add("charset")
    return shapes


def cause_of(request: RawRequest, family: str, replies: list[str]) -> str:
    shapes = request.shapes | observed_shapes(request)
    for prefix, cause in CAUSES:
        if any(shape.startswith(prefix) for shape in shapes):
            return cause
    if not replies:
        return "stored data"
    return f"unclassified ({family})"


def judge(family: str, request: RawRequest, legacy: Reply, backend: Reply,
          tables: list[TableDifference]) -> Difference | None:
    """Return the pair's difference, or None when the sides agree (and neither failed)."""
    replies = reply_mismatches(legacy, backend)
    failed = [f"{name} failed: {reply.status} {reply.body[:300]!r}"
              for name, reply in (("legacy", legacy), ("backend", backend))
              if reply.status == 0 or (reply.status >= 500 and reached_application(reply))]
    if failed:
        return Difference("application error or no reply", False, request, failed + replies,
                          [str(t) for t in tables])
    if not replies and not tables:
        return None
    cause = cause_of(request, family, replies)
    documented = "server-layer" in request.shapes and not (
        reached_application(legacy) and reached_application(backend))
    return Difference(cause, documented, request, replies, [str(t) for t in tables])
