"""Friendly error pages for people, JSON errors for the API; never a stack trace."""

import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.extensions import db

logger = logging.getLogger(__name__)

MESSAGES = {
    400: "请求无效。",
    401: "请先登录或提供有效的 API 令牌。",
    403: "您没有权限访问此页面。",
    404: "页面不存在或已被删除。",
    405: "不支持该请求方法。",
    413: "上传的文件太大。",
    422: "提交的数据有误。",
    423: "账户已锁定。",
    429: "请求过于频繁，请稍后再试。",
    500: "服务器出错了，我们已记录此问题，请稍后再试。",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"
    )


def error_response(status: int, message: str | None = None, errors: list | None = None):
    message = message or MESSAGES.get(status, "请求无法完成。")
    if wants_json():
        body = {"success": False, "errors": errors or [{"message": message}]}
        response = jsonify(body)
        response.status_code = status
        if status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="hongke"'
        return response
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
    return render_template(template, status=status, message=message), status


def register(app) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(400, "页面已过期或表单校验失败，请刷新页面后重新提交。")

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
