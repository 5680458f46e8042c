"""The ``/api/v1`` JSON API: one module per resource, every answer shaped the same.

Callers authenticate with ``Authorization: Bearer <personal token>``; the browser's own pages
may use their session instead, with the CSRF token in an ``X-CSRFToken`` header for writes.
"""

from flask import Blueprint, current_app, g, request, session
from flask_babel import gettext as _
from flask_login import current_user, login_user
from werkzeug.exceptions import Forbidden, Unauthorized

from app.accounts.services import TokenRefused, authenticate_api_token
from app.core.errors import DomainError, json_ok
from app.extensions import csrf, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def ok(data, status: int = 200):
    return json_ok(data, status)


class ApiError(DomainError):
    """Raise from a resource to answer ``{"success": false, "errors": [...]}`` with ``status``
    (the one handler in :mod:`app.core.errors` answers it)."""


#: Methods a read-only token may use.
READ_METHODS = frozenset({"GET", "HEAD"})


@bp.before_request
def authenticate():
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _sep, plain = header.partition(" ")
        if scheme.lower() != "bearer":
            raise Unauthorized(_("API 令牌无效或已吊销。"))
        try:
            token = authenticate_api_token(plain.strip())
        except TokenRefused as exc:
            raise Unauthorized(str(exc)) from exc
        if token.is_read_only and request.method not in READ_METHODS:
            raise Forbidden(_("该 API 令牌为只读令牌，只能查询，不能修改数据。"))
        # last_used_at, when it moved, is committed after the response is built (see below): a commit
        # here would expire the user and cost the view a second round of queries.
        g.api_token_touched = bool(db.session.dirty)
        login_user(token.user)  # for this request only: Flask-Login writes no cookie for API responses
        g.api_token_auth = True
    elif not current_user.is_authenticated:
        raise Unauthorized(_("请提供 API 令牌：Authorization: Bearer <token>。"))
    # An activation code or a reset password opens nothing but the password page, here as on pages.
    if current_user.must_change_password:
        raise Forbidden(_("为了账户安全，请先在网页上设置新密码，然后再使用 API。"))
    # Same switch as every form: ``protect()`` itself ignores WTF_CSRF_ENABLED.
    if (
        not g.get("api_token_auth")
        and request.method not in {"GET", "HEAD", "OPTIONS"}
        and current_app.config["WTF_CSRF_ENABLED"]
    ):
        csrf.protect()


@bp.after_request
def no_session_cookie_for_tokens(response):
    if g.get("api_token_auth"):
        session.modified = False  # a token request must not turn into a browser session
        if g.get("api_token_touched") and response.status_code < 400:
            db.session.commit()
    return response


from app.api import (  # noqa: E402,F401  (resources register their routes on bp)
    accounts,
    articles,
    assessments,
    care,
    courses,
    media,
    notices,
    org,
    points,
    progress,
    quiz,
    records,
    search,
    stats,
    suggestions,
    surveys,
    works,
)

from app.api import members  # noqa: E402,F401  # isort: skip  (the member lifecycle's routes)
from app.api import map as map_api  # noqa: E402,F401  # isort: skip  (the red map's routes)


def init_app(app) -> None:
    from app.api.docs import docs

    app.register_blueprint(bp)
    app.register_blueprint(docs)  # the description and its page: no login
