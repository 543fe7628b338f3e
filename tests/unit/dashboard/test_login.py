"""Logging in and out: sessions, cookie flags, the attempt limiter, safe redirects."""

from __future__ import annotations

import pytest

from tests.unit.dashboard.conftest import csrf_token


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
    from proxy.dashboard.accounts import create_user
    from proxy.dashboard.models import Role

    url = database_url(databases.create("postgresql"))
    first, second = (make_app(SQLALCHEMY_DATABASE_URI=url, LOGIN_ATTEMPTS=2) for _ in range(2))
    with first.app_context():
        create_user("otto", "correct horse battery", Role.OPERATOR)
        db.session.remove()
    assert login(first.test_client(), "otto", "guess").status_code == 401
    assert login(second.test_client(), "otto", "guess").status_code == 401
    assert login(first.test_client(), "otto").status_code == 429
