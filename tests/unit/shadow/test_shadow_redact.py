"""Redaction of credentials from stored samples."""

from __future__ import annotations

import pytest

from shadow.observation import Difference, Kind
from shadow.redact import REDACTED, redact, redact_difference, redact_json_text, sensitive

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6MX0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    "name",
    ["Authorization", "cookie", "Set-Cookie", "password", "newPassword", "token", "accessToken",
     "refresh_token", "client_secret"],
)  # fmt: skip
def test_sensitive_names(name: str) -> None:
    assert sensitive(name)


@pytest.mark.parametrize("name", ["username", "email", "bio", "tagList", "author"])
def test_ordinary_names(name: str) -> None:
    assert not sensitive(name)


def test_redact_replaces_credentials_at_any_depth() -> None:
    data = {
        "user": {"email": "a@b.c", "token": JWT, "password": "hunter2"},
        "headers": {"Authorization": f"Token {JWT}", "Set-Cookie": "sid=1"},
        "comments": [{"body": f"my token is {JWT}", "note": "Bearer abc.def"}],
    }
    assert redact(data) == {
        "user": {"email": "a@b.c", "token": REDACTED, "password": REDACTED},
        "headers": {"Authorization": REDACTED, "Set-Cookie": REDACTED},
        "comments": [{"body": f"my token is {REDACTED}", "note": REDACTED}],
    }


@pytest.mark.parametrize(
    ("path", "control", "candidate", "expected"),
    [
        ("body.user.token", f'"{JWT}"', '"other"', (REDACTED, REDACTED)),
        ("body.user.password", '"x"', None, (REDACTED, None)),
        ("headers.set-cookie", '"sid=1"', '"sid=2"', (REDACTED, REDACTED)),
        ('body["user"]["token"]', '"a"', '"b"', (REDACTED, REDACTED)),
        (
            "body.user",
            '{"token":"abc","bio":"x"}',
            None,
            (f'{{"bio":"x","token":"{REDACTED}"}}', None),
        ),
        ("body.user.bio", '"x"', '"y"', ('"x"', '"y"')),
    ],
)
def test_redact_difference(path, control, candidate, expected) -> None:
    redacted = redact_difference(Difference(path, Kind.CHANGED, control, candidate))
    assert (redacted.control, redacted.candidate) == expected
    assert redacted.path == path


def test_truncated_json_values_are_redacted_by_pattern() -> None:
    truncated = '{"bio":"x","password":"hunter2","token":"abc…'
    text = redact_json_text(truncated)
    assert "hunter2" not in text and "abc" not in text
    assert text.startswith('{"bio":"x"')
