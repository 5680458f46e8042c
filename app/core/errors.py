"""One error vocabulary: the domain error every refusal derives from, and the one handler that
answers it (and every HTTP error) — a friendly page or a redirect for people, the API envelope for
JSON; never a stack trace.

How a view uses it (the rule every domain follows):

- A view that re-renders its form catches the domain error and answers ``refused(exc, form)``'s
  status with the form (the session rolled back, the message under the field at fault or flashed).
  A form that does not validate is 422, like every refusal of what was sent.
- Every other view catches nothing. To go back to a page on refusal (the message flashed there),
  it wraps the service call in ``with back_to(url):``; otherwise the handler shows the generic
  error page with the error's status and message.
- JSON clients (``/api/`` and anyone who asks for JSON) always get
  ``{"success": false, "errors": [{"message": ..., "field": ...}]}`` with the error's status.
"""

import logging
from contextlib import contextmanager

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
        #: Top-level keys a JSON client relies on beside ``errors`` (an upload's ``received``).
        self.extra: dict = {}

    def __str__(self) -> str:
        return str(self.message)


@contextmanager
def back_to(url: str, category: str = "danger"):
    """On a domain error inside the block, the handler flashes its message and redirects to ``url``."""
    try:
        yield
    except DomainError as exc:
        exc.back, exc.category = url, category
        raise


def refused(exc: DomainError, form=None, field: str | None = None, category: str = "danger") -> int:
    """For a view that re-renders its form: roll back, show the message and return the status.

    The message goes under the form's field the error names (or ``field``, when the error names
    none the form has); without a form field to put it under, it is flashed."""
    db.session.rollback()
    name = exc.field if form is not None and exc.field and exc.field in form else field
    if form is not None and name:
        form[name].errors = [*form[name].errors, str(exc)]
    else:
        flash(str(exc), category)
    return exc.status


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"
    )


# --- the JSON envelope: every JSON answer, in /api/v1 or not, is shaped the same -------------------


def json_ok(data, status: int = 200, **extra):
    """``{"success": true, "data": ...}`` (plus any ``extra`` top-level keys a client relies on)."""
    response = jsonify({"success": True, "data": data, **extra})
    response.status_code = status
    return response


def json_error(status: int, message, field: str | None = None, **extra):
    """``{"success": false, "errors": [{"message", "field"?}]}`` for a JSON endpoint that refuses
    without raising (``extra``: top-level keys a client relies on, such as an upload's offset)."""
    error = {"message": str(message)}
    if field:
        error["field"] = field
    return _envelope(status, [error], **extra)


def json_refusal(exc: DomainError):
    """The envelope for a domain error, for a view that must answer JSON whatever the client accepts."""
    return json_error(exc.status, exc.message, exc.field, **exc.extra)


def _envelope(status: int, errors: list[dict], **extra):
    response = jsonify({"success": False, "errors": errors, **extra})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="hongke"'
    return response


def error_response(status: int, message=None, errors: list | None = None):
    message = str(message or MESSAGES.get(status) or _l("请求无法完成。"))
    if wants_json():
        return _envelope(status, errors or [{"message": message}])
    # One page serves every status: 403, 404 and 500 differ only in the status and message they show.
    return render_template("errors/generic.html", status=status, message=message), status


def domain_error_response(exc: DomainError):
    db.session.rollback()  # never half-written data
    if wants_json():
        return json_refusal(exc)
    if exc.back and exc.status not in (401, 403, 404):  # a refusal of access is no form to go back to
        flash(str(exc), exc.category)
        return redirect(exc.back)
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
