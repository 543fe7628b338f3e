"""Requests schemathesis generates from the RealWorld OpenAPI file, aimed at live values.

Every operation in positive and negative mode; path parameters are replaced, half of the
time, by values that exist on both sides (seeded usernames, slugs, comment ids), and an
Authorization header is chosen from none, a seeded user's token or junk.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.fuzz.sides import Live
from tests.fuzz.wire import RawRequest

OPENAPI = Path(__file__).resolve().parents[3] / "shared" / "realworld" / "openapi.yml"
BASE_URL = "http://fuzz.invalid/api"
_DROPPED_HEADERS = {"connection", "content-length", "host"}


def _operations() -> list:
    schema = schemathesis.openapi.from_path(str(OPENAPI))
    return [result.ok() for result in schema.get_all_operations()]


def _raw(case, live_values: dict[str, str], authorization: str | None,
         mode: GenerationMode) -> RawRequest | None:
    """Serialise a schemathesis case as requests would send it; None if it cannot be sent."""
    for name, value in live_values.items():
        if name in case.path_parameters:
            case.path_parameters[name] = value
    try:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL)
        allowed = ("method", "url", "headers", "params", "json", "data", "cookies")
        prepared = requests.Request(**{k: v for k, v in kwargs.items() if k in allowed}).prepare()
    except Exception:  # noqa: BLE001  (a case requests cannot serialise is not sent)
        return None
    url = urlsplit(prepared.url)
    target = url.path + (f"?{url.query}" if url.query else "")
    headers = [(name, value) for name, value in prepared.headers.items()
               if name.lower() not in _DROPPED_HEADERS]
    if authorization is not None:
        headers = [(n, v) for n, v in headers if n.lower() != "authorization"]
        headers.append(("Authorization", authorization))
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    if any(not _latin1(value) for _, value in headers) or not target.isascii():
        return None
    shapes = frozenset({f"openapi:{mode.value}", f"operation:{case.method} {case.path}"})
    return RawRequest(case.method.upper(), target, headers, body, shapes)


def _latin1(value: str) -> bool:
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return "\r" not in value and "\n" not in value


def openapi_requests(live: Live) -> st.SearchStrategy[RawRequest | None]:
    """Return a strategy of schemathesis requests over every operation and both modes."""
    strategies = [operation.as_strategy(generation_mode=mode)
                  for operation in _operations()
                  for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    modes = [mode for _ in _operations()
             for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
    live_values = st.fixed_dictionaries({
        "username": st.sampled_from(live.usernames),
        "slug": st.sampled_from(live.slugs),
        "id": st.sampled_from(live.comment_ids),
    }).map(lambda values: {name: quote(value, safe="") for name, value in values.items()})
    authorization = st.one_of(
        st.none(),
        st.sampled_from(live.usernames).map(lambda name: f"Token {live.token(name)}"),
        st.sampled_from(["Token", "Token x.y.z", "Bearer x"]),
    )

    @st.composite
    def draw(data) -> RawRequest | None:
        index = data(st.integers(0, len(strategies) - 1))
        case = data(strategies[index])
        chosen = data(live_values) if data(st.booleans()) else {}
        return _raw(case, chosen, data(authorization), modes[index])

    return draw()
