"""The dashboard blueprint: every URL under the prefix is guarded here, before any view.

Default deny: a request reaches a view only if the account is logged in (except the login
form and static files), and every state-changing request carries a valid CSRF token. A
catch-all rule keeps any other URL under the prefix here (404), so nothing under the prefix
is ever forwarded upstream.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, CSRFProtect

from rollout.dashboard import login
from rollout.dashboard.login import login_manager, wants_json

bp = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static")
csrf = CSRFProtect()

PUBLIC_ENDPOINTS = frozenset({"dashboard.login", "dashboard.static"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The pages use their own script and stylesheet only; nothing may frame them.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@bp.before_request
def guard() -> Response | None:
    """Refuse anonymous requests, then check the CSRF token of every state change."""
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    if request.method not in SAFE_METHODS:
        csrf.protect()
    return None


@bp.after_request
def security_headers(response: Response) -> Response:
    """Forbid framing and foreign scripts on every answer under the prefix."""
    response.headers.update(SECURITY_HEADERS)
    return response


@bp.route("/<path:rest>", methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest: str) -> tuple[Response | str, int]:
    """Answer 404 for any other URL under the prefix (never forwarded upstream)."""
    return _error_page(404, "not found")


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> tuple[Response | str, int]:
    return _error_page(400, f"refused: {error.description}")


@bp.errorhandler(403)
def forbidden(error: Exception) -> tuple[Response | str, int]:
    return _error_page(403, "forbidden: operators only")


@bp.errorhandler(413)
def too_large(error: Exception) -> tuple[Response | str, int]:
    return _error_page(413, "request body too large")


def _error_page(status: int, message: str) -> tuple[Response | str, int]:
    if wants_json():
        return jsonify(error=message), status
    return render_template("dashboard/error.html", status=status, message=message), status


bp.add_url_rule("/login", view_func=login.login, methods=["GET", "POST"])
bp.add_url_rule("/logout", view_func=login.logout, methods=["POST"])
