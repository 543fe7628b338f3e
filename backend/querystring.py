"""Query strings as Express 5 reads them: Node's ``querystring.parse`` ("simple" parser).

It differs from Werkzeug's reading in ways the API shows: it stops after 1,000 pairs
(``maxKeys``), a repeated name becomes a list, ``+`` is a space, and a value is percent-decoded
only when it holds a valid ``%XX``; one ``decodeURIComponent`` cannot decode falls back to
decoding the escapes it can, byte by byte, then UTF-8 with replacement characters.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

MAX_KEYS = 1000
_HEX = "0123456789abcdefABCDEF"

Query = dict[str, str | list[str]]


def parse(text: str | None) -> Query:
    """Return ``querystring.parse(text)``: name to value, or to a list when repeated."""
    result: Query = {}
    if not text:
        return result
    pairs = MAX_KEYS
    last = 0
    in_value = False  # the pair's "=" has been seen
    key = value = ""
    key_encoded = value_encoded = False
    check = 0  # how much of a "%XX" has been seen (shared by key and value, as in Node)
    for index, char in enumerate(text):
        if char == "&":
            if not in_value:
                if last < index:
                    key += text[last:index]
                elif not key:
                    pairs -= 1
                    if pairs == 0:
                        return result
                    last = index + 1
                    continue
            elif last < index:
                value += text[last:index]
            _add(result, key, value, key_encoded, value_encoded)
            pairs -= 1
            if pairs == 0:
                return result
            key_encoded = value_encoded = in_value = False
            key = value = ""
            check = 0
            last = index + 1
            continue
        if not in_value:
            if char == "=":
                if last < index:
                    key += text[last:index]
                check = 0
                last = index + 1
                in_value = True
                continue
            if not key_encoded:
                if char == "%":
                    check = 1
                    continue
                if check > 0:
                    if char in _HEX:
                        check += 1
                        key_encoded = check == 3
                        continue
                    check = 0
            if char == "+":
                key += text[last:index] + " "
                last = index + 1
                continue
        if char == "+":
            value += text[last:index] + " "
            last = index + 1
        elif not value_encoded:
            if char == "%":
                check = 1
            elif check > 0:
                if char in _HEX:
                    check += 1
                    value_encoded = check == 3
                else:
                    check = 0
    if last < len(text):
        if in_value:
            value += text[last:]
        else:
            key += text[last:]
    elif not in_value and not key:
        return result
    _add(result, key, value, key_encoded, value_encoded)
    return result


def _add(result: Query, key: str, value: str, key_encoded: bool, value_encoded: bool) -> None:
    if key and key_encoded:
        key = unescape(key)
    if value and value_encoded:
        value = unescape(value)
    current = result.get(key)
    if current is None:
        result[key] = value
    elif isinstance(current, list):
        current.append(value)
    else:
        result[key] = [current, value]


def unescape(text: str) -> str:
    """Return ``querystring.unescape(text)``: decodeURIComponent, else a lenient byte decode."""
    try:
        if "%" in text and not _all_escapes_complete(text):
            raise ValueError(text)
        return unquote_to_bytes(text).decode("utf-8")
    except ValueError:
        return _unescape_bytes(text).decode("utf-8", "replace")


def _all_escapes_complete(text: str) -> bool:
    index = text.find("%")
    while index != -1:
        if len(text) < index + 3 or text[index + 1] not in _HEX or text[index + 2] not in _HEX:
            return False
        index = text.find("%", index + 3)
    return True


def _unescape_bytes(text: str) -> bytes:
    """Decode the valid ``%XX`` escapes of ``text`` to bytes (``unescapeBuffer``)."""
    out = bytearray()
    index = 0
    last_escape_start = len(text) - 2
    while index < len(text):
        code = ord(text[index])
        if code == 0x25 and index < last_escape_start:
            index += 1
            code = ord(text[index])
            if text[index] not in _HEX:
                out.append(0x25)
                continue
            index += 1
            if text[index] not in _HEX:
                out.append(0x25)
                index -= 1
            else:
                code = int(text[index - 1 : index + 1], 16)
        out.append(code & 0xFF)
        index += 1
    return bytes(out)
