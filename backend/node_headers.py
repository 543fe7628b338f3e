"""Request headers as Node's http module presents them to Express.

A header sent more than once is not simply joined (what WSGI servers do, with ","): Node
keeps only the first ``Authorization``, ``Content-Type``, ``Host``, ``User-Agent`` and the
other fields of its drop list, joins ``Cookie`` with ``"; "`` and everything else with
``", "``, and reads at most 1,000 header lines (2,000 name and value entries). The backend's
own gunicorn and the proxy's apply this before the WSGI environ is built
(``gunicorn_lines``, called from ``pre_request`` in ``deploy/backend.gunicorn.conf.py`` and
``deploy/gunicorn.conf.py``), so the app, served alone or in the proxy, and legacy behind the
proxy read headers as legacy reads them.
"""

from __future__ import annotations

MAX_HEADER_LINES = 1000  # _http_common's MAX_HEADER_PAIRS: 2,000 names and values
# Node's matchKnownFields: fields whose repeats are dropped.
FIRST_ONLY = frozenset({
    "age", "authorization", "content-length", "content-type", "etag", "expires", "from",
    "host", "if-modified-since", "if-unmodified-since", "last-modified", "location",
    "max-forwards", "proxy-authorization", "referer", "retry-after", "server", "user-agent",
})
JOINERS = {"cookie": "; "}
DEFAULT_JOINER = ", "
KEPT_APART = frozenset({"set-cookie"})


def as_node_reads(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return header ``lines`` merged as Node merges them: one line per field name.

    Each field keeps the name and position of its first line; ``Set-Cookie`` lines stay apart.
    """
    merged: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    apart: list[tuple[str, str]] = []
    for name, value in lines[:MAX_HEADER_LINES]:
        field = name.lower()
        if field in KEPT_APART:
            apart.append((name, value))
            continue
        if field not in merged:
            merged[field], names[field] = [value], name
        elif field not in FIRST_ONLY:
            merged[field].append(value)
    joined = [(names[field], JOINERS.get(field, DEFAULT_JOINER).join(values))
              for field, values in merged.items()]
    return joined + apart


def gunicorn_lines(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Return gunicorn's parsed header ``lines`` (upper-case names) merged as Node reads them.

    ``Connection`` lines are left as they are and last: gunicorn reads them itself.
    """
    connection = [(name, value) for name, value in lines if name == "CONNECTION"]
    others = [(name, value) for name, value in lines[:MAX_HEADER_LINES] if name != "CONNECTION"]
    return as_node_reads(others) + connection
