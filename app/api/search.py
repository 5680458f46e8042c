"""``GET /api/v1/search?q=&type=&page=``: the same search as the /search page, as JSON."""

from flask import request
from flask_babel import gettext as _

from app.api import ApiError, bp, ok
from search_index import services
from search_index.registry import get_adapter
from search_index.views import current_viewer


@bp.get("/search")
def search():
    type_ = request.args.get("type") or None
    if type_ is not None and get_adapter(type_) is None:
        names = "、".join(value for value, _ in services.type_choices())
        raise ApiError(_("未知的类型，可选：%(names)s", names=names), field="type")
    page = request.args.get("page", type=int) if "page" in request.args else 1
    if page is None or page < 1:
        raise ApiError(_("页码须为正整数"), field="page")
    result = services.search(current_viewer(), request.args.get("q", ""), type_, page)
    if result.unavailable:
        raise ApiError(_("搜索暂时不可用，请稍后再试。"), status=503)
    return ok(result.as_json())
