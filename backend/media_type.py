"""Content-Type as ``express.json()`` reads it: content-type 2, type-is 2 and media-typer 1.

The type is what comes before the first ``;`` (optional white space around it trimmed,
lower-cased) and must be exactly ``application/json``. Parameters are ``name=value`` pairs
after each ``;``: names are lower-cased and white space around ``=`` is allowed, a quoted value
keeps its backslash escapes' characters, and the first occurrence of a name wins.
"""

from __future__ import annotations

from backend.node_unicode import to_lower_case

_OWS = " \t"


def _skip_space(header: str, index: int) -> int:
    while index < len(header) and header[index] in _OWS:
        index += 1
    return index


def _trim_end(header: str, start: int, end: int) -> int:
    while end > start and header[end - 1] in _OWS:
        end -= 1
    return end


def _value_end(header: str, index: int) -> int:
    found = header.find(";", index)
    return len(header) if found == -1 else found


def media_type(header: str) -> str:
    """Return the lower-cased type of a Content-Type value (content-type's ``parse().type``)."""
    start = _skip_space(header, 0)
    end = _trim_end(header, start, _value_end(header, start))
    return to_lower_case(header[start:end])


def parameters(header: str) -> dict[str, str]:
    """Return the parameters of a Content-Type value as content-type 2.1 parses them."""
    found: dict[str, str] = {}
    index = _value_end(header, _skip_space(header, 0))
    while index < len(header):
        index = _skip_space(header, index + 1)  # past the ";"
        key_start = index
        while index < len(header) and header[index] not in ";=":
            index += 1
        if index >= len(header) or header[index] == ";":
            continue
        key = to_lower_case(header[key_start:_trim_end(header, key_start, index)])
        index = _skip_space(header, index + 1)
        if index < len(header) and header[index] == '"':
            index += 1
            value: list[str] = []
            while index < len(header):
                char = header[index]
                index += 1
                if char == '"':
                    index = _value_end(header, index)
                    found.setdefault(key, "".join(value))
                    break
                if char == "\\" and index < len(header):
                    char = header[index]
                    index += 1
                value.append(char)
            continue
        value_start = index
        index = _value_end(header, index)
        found.setdefault(key, header[value_start:_trim_end(header, value_start, index)])
    return found


def is_json(header: str | None) -> bool:
    """Tell whether type-is matches the Content-Type value to ``application/json``."""
    if not header:
        return False
    return media_type(header) == "application/json"


def charset(header: str | None) -> str | None:
    """Return the lower-cased ``charset`` parameter as body-parser reads it (None: absent)."""
    if not header:
        return None
    value = parameters(header).get("charset")
    return None if value is None else to_lower_case(value)
