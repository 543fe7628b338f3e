"""The signed session cookie: Secure whenever the browser reached us over TLS."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask.sessions import SecureCookieSessionInterface


def served_over_tls() -> bool:
    """Return whether this request came over HTTPS, directly or through a TLS front proxy."""
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.is_secure or forwarded == "https"


class DashboardSessionInterface(SecureCookieSessionInterface):
    """Flask's itsdangerous-signed cookie session, with the Secure flag set per request.

    Trusting X-Forwarded-Proto here can only add the Secure flag, never remove it: a client
    that lies about it only stops its own cookie from being sent back over plain HTTP.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        if has_request_context() and served_over_tls():
            return True
        return bool(app.config["SESSION_COOKIE_SECURE"])
