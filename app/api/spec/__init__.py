"""The OpenAPI 3.1 description of ``/api/v1``, built from the routes themselves.

Each module of this package describes the routes of one API module, keyed by endpoint name::

    OPERATIONS = {"api.get_lesson": op("一个课时", tag="课程", data=obj(...), errors=(404,))}

The builder walks ``app.url_map``: the path (``/lessons/{lesson_id}``), the method and the path
parameters come from the rule, so a description never repeats them. ``tests/api/test_openapi.py``
fails when a route under ``/api/v1`` has no description or a description names no route.
"""

import importlib
import pkgutil
import re

from flask import Flask
from werkzeug.routing import Rule

from app.api.spec.common import COMPONENTS, ID, STR

PREFIX = "/api/v1"
IGNORED_METHODS = {"HEAD", "OPTIONS"}
_CONVERTED = re.compile(r"<(?:(?P<converter>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>[a-zA-Z_]\w*)>")

INFO = {
    "title": "红课 API",
    "version": "1",
    "description": (
        '红课的 JSON API。每个回答形状相同：成功为 `{"success": true, "data": …}`，'
        '拒绝为 `{"success": false, "errors": [{"message": …, "field": …}]}`，'
        "HTTP 状态码说明原因（422：提交的数据有误）。\n\n"
        "认证：`Authorization: Bearer <个人 API 令牌>`；网页自身也可用登录会话（修改类请求带 X-CSRFToken）。"
    ),
}


def operations() -> dict[str, dict]:
    """Every described operation, from every module of this package: ``{"endpoint": operation}``
    (or ``{"endpoint METHOD": operation}`` for an endpoint answering several methods)."""
    found: dict[str, dict] = {}
    for module in pkgutil.iter_modules(__path__):
        if module.name == "common":
            continue
        described = importlib.import_module(f"{__name__}.{module.name}").OPERATIONS
        clash = set(found) & set(described)
        if clash:
            raise RuntimeError(f"described twice: {sorted(clash)}")
        found.update(described)
    return found


def api_rules(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if r.rule == PREFIX or r.rule.startswith(PREFIX + "/")]


def route_keys(rule: Rule) -> list[tuple[str, str]]:
    """``(description key, method)`` for each method the rule answers."""
    methods = sorted((rule.methods or set()) - IGNORED_METHODS)
    if len(methods) == 1:
        return [(rule.endpoint, methods[0])]
    return [(f"{rule.endpoint} {m}", m) for m in methods]


def openapi_path(rule: Rule) -> tuple[str, list[dict]]:
    """``/lessons/<int:lesson_id>`` → ``/lessons/{lesson_id}`` and its path parameters."""
    params = []

    def replace(match: re.Match) -> str:
        name, converter = match["name"], match["converter"] or "default"
        schema = ID if converter == "int" else dict(STR, pattern=r"^[^/]+$")
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
        return "{" + name + "}"

    return _CONVERTED.sub(replace, rule.rule[len(PREFIX) :]), params


def build_document(app: Flask) -> dict:
    """The whole description (routes without one are left out: the test names them)."""
    described = operations()
    paths: dict[str, dict] = {}
    for rule in sorted(api_rules(app), key=lambda r: r.rule):
        path, params = openapi_path(rule)
        for key, method in route_keys(rule):
            if key not in described:
                continue
            operation = dict(described[key], operationId=key.replace(" ", "_"))
            if params:
                operation["parameters"] = [*params, *operation.get("parameters", [])]
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "servers": [{"url": PREFIX}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": COMPONENTS,
    }
