"""Members' works over the API: submitting an article or a video (a photo set is uploaded on the page)."""

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from app.api import ApiError, bp, ok
from app.core.urls import absolute_url
from app.extensions import db
from app.works import services


@bp.post("/works")
def submit_work():
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(_("请求体必须是 JSON 对象。"))
    title, text, kind = body.get("title"), body.get("body", ""), body.get("kind")
    if not isinstance(title, str) or not isinstance(text, str) or not isinstance(kind, str):
        raise ApiError(_("kind、title 和 body 必须是文字。"), field="title")
    if kind == "photos":
        raise ApiError(_("图片作品请在网页上上传图片。"), field="kind")
    data = services.WorkData(kind, title, text, body.get("media_asset_id"))
    work = services.submit_work(current_user, data)
    db.session.commit()
    return ok(
        {
            "id": work.id,
            "kind": work.kind.value,
            "title": work.title,
            "status": work.status.value,
            "url": absolute_url("works.detail", work_id=work.id),
        },
        status=201,
    )
