"""The ``/api/v1`` JSON API: one module per resource, every answer shaped the same.

Callers authenticate with ``Authorization: Bearer <personal token>``; the browser's own pages
may use their session instead, with the CSRF token in an ``X-CSRFToken`` header for writes.
"""

from flask import Blueprint, current_app, g, jsonify, request, session
from flask_login import current_user, login_user
from werkzeug.exceptions import Unauthorized

from app.accounts.services import user_for_api_token
from app.extensions import csrf, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def ok(data, status: int = 200):
    response = jsonify({"success": True, "data": data})
    response.status_code = status
    return response


class ApiError(Exception):
    """Raise from a resource to answer ``{"success": false, "errors": [...]}`` with ``status``."""

    def __init__(self, message: str, status: int = 422, field: str | None = None):
        super().__init__(message)
        self.status, self.field = status, field


@bp.errorhandler(ApiError)
def api_error(exc: ApiError):
    error = {"message": str(exc)}
    if exc.field:
        error["field"] = exc.field
    response = jsonify({"success": False, "errors": [error]})
    response.status_code = exc.status
    return response


@bp.before_request
def authenticate():
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        user = user_for_api_token(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise Unauthorized("API 令牌无效或已吊销。")
        # last_used_at, when it moved, is committed after the response is built (see below): a commit
        # here would expire the user and cost the view a second round of queries.
        g.api_token_touched = bool(db.session.dirty)
        login_user(user)  # for this request only: Flask-Login writes no cookie for API responses
        g.api_token_auth = True
        return
    if not current_user.is_authenticated:
        raise Unauthorized("请提供 API 令牌：Authorization: Bearer <token>。")
    # Same switch as every form: ``protect()`` itself ignores WTF_CSRF_ENABLED.
    if request.method not in {"GET", "HEAD", "OPTIONS"} and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()


@bp.after_request
def no_session_cookie_for_tokens(response):
    if g.get("api_token_auth"):
        session.modified = False  # a token request must not turn into a browser session
        if g.get("api_token_touched") and response.status_code < 400:
            db.session.commit()
    return response


from app.api import accounts, articles, courses, media, notices, org, points, progress, quiz, records, search  # noqa: E402,F401  (resources register their routes on bp)
