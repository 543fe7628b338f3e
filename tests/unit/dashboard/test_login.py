"""Logging in and out: sessions, cookie flags, the attempt limiter, safe redirects."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from backend.database import database_url, db
from rollout.dashboard import attempts
from rollout.dashboard import login as login_module
from rollout.dashboard.accounts import change_password, change_role, create_user
from rollout.dashboard.models import Role
from tests.support.dashboard import PASSWORD, csrf_token


def test_the_right_password_logs_in_and_the_overview_opens(client, login):
    response = login(client, "otto")
    assert response.status_code == 302
    assert response.location == "/_strangler/"
    page = client.get("/_strangler/")
    assert page.status_code == 200
    assert "otto" in page.get_data(as_text=True)


@pytest.mark.parametrize(("username", "password"), [
    ("otto", "wrong password"),
    ("nobody", "correct horse battery"),
    ("", ""),
])
def test_wrong_credentials_are_refused_without_saying_which(client, login, username, password):
    response = login(client, username, password)
    assert response.status_code == 401
    assert "Wrong username or password." in response.get_data(as_text=True)
    assert client.get("/_strangler/").status_code == 302


def test_logout_ends_the_session(client, login):
    login(client, "vera")
    token = csrf_token(client, "/_strangler/")
    response = client.post("/_strangler/logout", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/_strangler/").status_code == 302


def test_the_session_cookie_is_signed_http_only_lax_and_scoped_to_the_dashboard(client, login):
    response = login(client, "vera")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("strangler_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Path=/_strangler" in cookie
    assert "Secure" not in cookie
    forged = client.get_cookie("strangler_session", path="/_strangler")
    client.set_cookie("strangler_session", forged.value[:-2] + "xx", path="/_strangler")
    assert client.get("/_strangler/").status_code == 302


def test_the_cookie_is_secure_when_served_over_tls(proxy_app, login):
    behind_tls = login(proxy_app.test_client(), "vera", **{"X-Forwarded-Proto": "https"})
    assert "Secure" in behind_tls.headers["Set-Cookie"]
    direct_tls = proxy_app.test_client()
    token = csrf_token(direct_tls)
    response = direct_tls.post(
        "/_strangler/login", base_url="https://localhost",
        headers={"Referer": "https://localhost/_strangler/login"},  # checked over HTTPS
        data={"username": "vera", "password": "correct horse battery", "csrf_token": token},
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


def test_logins_are_limited_per_username_and_address_across_workers(make_app, login):
    first, second = make_app(LOGIN_ATTEMPTS=3), make_app(LOGIN_ATTEMPTS=3)
    client_a, client_b = first.test_client(), second.test_client()
    for client in (client_a, client_b, client_a):
        assert login(client, "otto", "guess").status_code == 401
    # The limit holds on the other worker too, and even the right password is refused now.
    locked = login(client_b, "otto")
    assert locked.status_code == 429
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    assert client_b.get("/_strangler/").status_code == 302
    # Another account from the same address is not affected.
    assert login(client_a, "vera").status_code == 302


def test_a_successful_login_clears_the_failures(make_app, login):
    client = make_app(LOGIN_ATTEMPTS=2).test_client()
    assert login(client, "vera", "guess").status_code == 401
    assert login(client, "vera").status_code == 302
    assert login(client, "vera", "guess").status_code == 401
    assert login(client, "vera").status_code == 302


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/api/user",
    "/_strangler/\r\nSet-Cookie: a=b", "/_strangler/\n", "/_strangler/\\evil.example",
    "/_strangler/caf\u00e9",
])
def test_the_next_parameter_never_leaves_the_dashboard(client, target):
    token = csrf_token(client)
    response = client.post("/_strangler/login", data={
        "username": "vera", "password": "correct horse battery", "csrf_token": token,
        "next": target,
    })
    assert response.location == "/_strangler/"


@pytest.mark.postgres
def test_the_limit_holds_on_postgresql_too(make_app, databases, login):
    from backend.database import database_url, db
    from rollout.dashboard.accounts import create_user
    from rollout.dashboard.models import Role

    url = database_url(databases.create("postgresql"))
    first, second = (make_app(SQLALCHEMY_DATABASE_URI=url, LOGIN_ATTEMPTS=2) for _ in range(2))
    with first.app_context():
        create_user("otto", "correct horse battery", Role.OPERATOR)
        db.session.remove()
    assert login(first.test_client(), "otto", "guess").status_code == 401
    assert login(second.test_client(), "otto", "guess").status_code == 401
    assert login(first.test_client(), "otto").status_code == 429


def _guess_concurrently(apps, login, username: str, wrong: int, monkeypatch) -> list[int]:
    """``wrong`` bad passwords at once, on several apps (workers); then the right one."""
    checked = []
    real = login_module.authenticate

    def counted(name: str, password: str):
        checked.append(password)
        return real(name, password)

    monkeypatch.setattr(login_module, "authenticate", counted)
    clients = [apps[i % len(apps)].test_client() for i in range(wrong)]
    tokens = [csrf_token(client) for client in clients]
    passwords = [f"guess {i}" for i in range(wrong)]
    start = threading.Barrier(len(clients))

    def attempt(index: int) -> int:
        start.wait()
        return clients[index].post("/_strangler/login", data={
            "username": username, "password": passwords[index], "csrf_token": tokens[index],
        }).status_code

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        statuses = list(pool.map(attempt, range(len(clients))))
    assert len(checked) == 5, f"{len(checked)} passwords were checked"
    assert sorted(statuses) == [401] * 5 + [429] * (wrong - 5)
    assert login(apps[0].test_client(), username).status_code == 429  # the right one too
    return statuses


def test_concurrent_guesses_are_counted_before_any_is_checked(make_app, login, monkeypatch):
    apps = [make_app(LOGIN_ATTEMPTS=5), make_app(LOGIN_ATTEMPTS=5)]
    _guess_concurrently(apps, login, "otto", 40, monkeypatch)


@pytest.mark.postgres
def test_concurrent_guesses_are_counted_on_postgresql_too(make_app, databases, login,
                                                          monkeypatch):
    url = database_url(databases.create("postgresql"))
    apps = [make_app(SQLALCHEMY_DATABASE_URI=url, LOGIN_ATTEMPTS=5) for _ in range(2)]
    with apps[0].app_context():
        create_user("otto", PASSWORD, Role.OPERATOR)
        db.session.remove()
    _guess_concurrently(apps, login, "otto", 40, monkeypatch)


def test_a_lockout_ends_one_window_after_it_began_whoever_keeps_knocking(make_app, login,
                                                                         monkeypatch):
    clock = [datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    monkeypatch.setattr(attempts, "utcnow", lambda: clock[0])
    client = make_app(LOGIN_ATTEMPTS=2, LOGIN_WINDOW=900).test_client()
    assert login(client, "otto", "guess").status_code == 401
    assert login(client, "otto", "guess").status_code == 401
    assert login(client, "otto").status_code == 429
    for minutes in range(1, 15):  # someone keeps knocking all along: refused, not extended
        clock[0] = datetime(2026, 12, 1, 12, minutes, tzinfo=UTC)
        assert login(client, "otto", "guess").status_code == 429
    clock[0] = datetime(2026, 12, 1, 12, 15, 1, tzinfo=UTC)
    assert login(client, "otto").status_code == 302


def test_a_stranger_elsewhere_cannot_lock_an_operator_out(make_app, login):
    app = make_app(LOGIN_ATTEMPTS=3)
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(10):
        assert login(stranger, "otto", "guess").status_code in (401, 429)
    operator = app.test_client()
    operator.environ_base["REMOTE_ADDR"] = "198.51.100.4"
    assert login(operator, "otto").status_code == 302


def _logged_in_cookie(client, login, username: str) -> str:
    login(client, username)
    return client.get_cookie("strangler_session", path="/_strangler").value


def _with_cookie(app, value: str):
    copy = app.test_client()
    copy.set_cookie("strangler_session", value, path="/_strangler")
    return copy.get("/_strangler/")


def test_logout_revokes_the_session_on_the_server(proxy_app, login):
    client = proxy_app.test_client()
    copied = _logged_in_cookie(client, login, "vera")
    assert _with_cookie(proxy_app, copied).status_code == 200
    client.post("/_strangler/logout", data={"csrf_token": csrf_token(client, "/_strangler/")})
    assert _with_cookie(proxy_app, copied).status_code == 302  # the copy is dead too


@pytest.mark.parametrize("change", [
    lambda: change_password("otto", "another long password"),
    lambda: change_role("otto", Role.VIEWER),
])
def test_a_password_or_role_change_ends_every_session(proxy_app, login, change):
    copied = _logged_in_cookie(proxy_app.test_client(), login, "otto")
    assert _with_cookie(proxy_app, copied).status_code == 200
    with proxy_app.app_context():
        change()
        change_password("otto", PASSWORD)  # as the other tests expect it
        change_role("otto", Role.OPERATOR)
    assert _with_cookie(proxy_app, copied).status_code == 302
    assert login(proxy_app.test_client(), "otto").status_code == 302  # new sessions work
