"""One error vocabulary: the domain error every refusal derives from, and the one handler that
answers it (and every HTTP error) — a friendly page or a redirect for people, the API envelope for
JSON; never a stack trace.

How a view uses it (the rule every domain follows):

- A view that re-renders its form catches the domain error and answers ``refused(exc)``'s status
  with the form (the message is flashed, the session rolled back; a wrong form is 422).
- Every other view catches nothing. To go back to a page on refusal it wraps the service call in
  ``with back_to(url):``; otherwise the handler redirects a form post back to the page it came from
  (same origin only) and shows the generic error page for anything else.
- JSON clients (``/api/`` and anyone who asks for JSON) always get
  ``{"success": false, "errors": [{"message": ..., "field": ...}]}`` with the error's status.
"""

import logging
from contextlib import contextmanager
from urllib.parse import urlsplit

from flask import flash, jsonify, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db

logger = logging.getLogger(__name__)

MESSAGES = {
    400: _l("请求无效。"),
    401: _l("请先登录或提供有效的 API 令牌。"),
    403: _l("您没有权限访问此页面。"),
    404: _l("页面不存在或已被删除。"),
    405: _l("不支持该请求方法。"),
    413: _l("上传的文件太大。"),
    422: _l("提交的数据有误。"),
    423: _l("账户已锁定。"),
    429: _l("请求过于频繁，请稍后再试。"),
    500: _l("服务器出错了，我们已记录此问题，请稍后再试。"),
}


class DomainError(ValueError):
    """A refusal the user (or a calling script) caused, said in their language.

    Every domain's errors derive from it, with this one constructor: ``message`` (a string from
    ``gettext`` or a lazy string), the HTTP ``status`` to answer with (the class's default when not
    given: 422, "what you sent is wrong"), and the ``field`` at fault, if one is."""

    status: int = 422

    def __init__(self, message, status: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.field = field
        #: Where a person goes back to on refusal (set by :func:`back_to`), and the flash category.
        self.back: str | None = None
        self.category = "danger"

    def __str__(self) -> str:
        return str(self.message)

    def as_json(self) -> dict:
        error = {"message": str(self.message)}
        if self.field:
            error["field"] = self.field
        return error


@contextmanager
def back_to(url: str, category: str = "danger"):
    """On a domain error inside the block, the handler flashes its message and redirects to ``url``."""
    try:
        yield
    except DomainError as exc:
        exc.back, exc.category = url, category
        raise


def refused(exc: DomainError, category: str = "danger") -> int:
    """For a view that re-renders its form: roll back, flash the message, return the status."""
    db.session.rollback()
    flash(str(exc), category)
    return exc.status


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"
    )


def json_error(status: int, message, field: str | None = None):
    """The API envelope for one error, outside any exception (a JSON endpoint that refuses)."""
    error = {"message": str(message)}
    if field:
        error["field"] = field
    return error_response(status, errors=[error])


def error_response(status: int, message=None, errors: list | None = None):
    message = str(message or MESSAGES.get(status) or _l("请求无法完成。"))
    if wants_json():
        body = {"success": False, "errors": errors or [{"message": message}]}
        response = jsonify(body)
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="hongke"'
        return response
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
    return render_template(template, status=status, message=message), status


def _same_origin_referrer() -> str | None:
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host or parts.scheme not in ("http", "https"):
        return None
    return referrer


def domain_error_response(exc: DomainError):
    db.session.rollback()  # never half-written data
    if wants_json():
        return error_response(exc.status, errors=[exc.as_json()])
    back = exc.back or (_same_origin_referrer() if request.method == "POST" else None)
    if back:
        flash(str(exc), exc.category)
        return redirect(back, 302 if exc.back else 303)
    return error_response(exc.status, str(exc))


def register(app) -> None:
    app.register_error_handler(DomainError, domain_error_response)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, _l("页面已过期或表单校验失败，请刷新页面后重新提交。"))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        custom = exc.description if exc.description and exc.description != type(exc).description else None
        return error_response(exc.code or 500, custom)

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        if isinstance(exc, HTTPException):
            return http_error(exc)
        logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_response(InternalServerError.code)
