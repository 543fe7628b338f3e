"""Log in and out: Flask-Login sessions, the attempt limiter, roles.

Anonymous page requests are redirected to the login form; anonymous JSON requests (under
``<prefix>/api/`` or asking for ``application/json``) get a 401 JSON error.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import (
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_user, logout_user

from backend.database import db
from proxy.headers import client_address
from rollout.dashboard import attempts
from rollout.dashboard import session as dashboard_session
from rollout.dashboard.accounts import authenticate
from rollout.dashboard.models import DashboardUser

login_manager = LoginManager()
P = ParamSpec("P")
R = TypeVar("R")


@login_manager.user_loader
def load_user(user_id: str) -> DashboardUser | None:
    """Return the account of an open (not revoked) session, else None."""
    if not user_id.isdigit() or not dashboard_session.is_open(int(user_id)):
        return None
    return db.session.get(DashboardUser, int(user_id))


def wants_json() -> bool:
    """Return whether the request is an API call or asks for JSON rather than a page."""
    prefix = current_app.config["DASHBOARD_PREFIX"]
    if request.path.startswith(prefix + "/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


@login_manager.unauthorized_handler
def unauthorized() -> ResponseReturnValue:
    if wants_json():
        return jsonify(error="authentication required"), 401
    return redirect(url_for("dashboard.login", next=request.full_path.rstrip("?")))


def operator_required(view: Callable[P, R]) -> Callable[P, R]:
    """Refuse (403) a view to accounts that are not operators."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if not current_user.is_operator:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _safe_next(target: str | None) -> str:
    """Return ``target`` if it is a dashboard path on this host, else the overview.

    Printable ASCII only: a CR/LF would split the Location header (a 500 before), a
    backslash is read as a slash by browsers.
    """
    prefix = current_app.config["DASHBOARD_PREFIX"]
    if (target and target.startswith(prefix + "/") and not target.startswith("//")
            and target.isascii() and target.isprintable() and "\\" not in target):
        return target
    return url_for("dashboard.overview")


def login() -> ResponseReturnValue:
    """Show the login form; on POST check the credentials within the attempt limit."""
    if request.method == "GET":
        return render_template("dashboard/login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip()[:100]
    password = request.form.get("password", "")
    address = (client_address(request.environ) or "unknown")[:64]
    limit, window = current_app.config["LOGIN_ATTEMPTS"], current_app.config["LOGIN_WINDOW"]
    form = {"next": request.form.get("next", ""), "username": username}
    if not attempts.admit(username, address, limit=limit, window=window):
        message = "Too many failed attempts. Try again later."
        return render_template("dashboard/login.html", error=message, **form), 429
    user = authenticate(username, password)
    if user is None:
        message = "Wrong username or password."
        return render_template("dashboard/login.html", error=message, **form), 401
    attempts.clear(username, address)
    session.clear()
    dashboard_session.open_for(user)
    login_user(user)
    return redirect(_safe_next(form["next"]))


def logout() -> ResponseReturnValue:
    """End the session on the server, forget the cookie, go back to the login form."""
    dashboard_session.close()
    logout_user()
    session.clear()
    return redirect(url_for("dashboard.login"))
