"""Notices (党务公开) and the signed-in user's notifications over the API.

A notice outside the caller's audience is 404, exactly like one that does not exist.
"""

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from app.api import ApiError, bp, ok
from app.core.urls import absolute_url
from app.extensions import db
from app.portal import notifications, services
from app.portal.models import KIND_LABELS, Notice


def notice_json(notice: Notice, with_body: bool = False) -> dict:
    data = {
        "id": notice.id,
        "kind": notice.kind.value,
        "title": notice.title,
        "branch": {"id": notice.branch.id, "name": notice.branch.name} if notice.branch else None,
        "requires_receipt": notice.requires_receipt,
        "published_at": notice.published_at.isoformat() if notice.published_at else None,
        "starts_at": notice.starts_at.isoformat() if notice.starts_at else None,
        "location": notice.location,
        "url": absolute_url("portal.notice", notice_id=notice.id),
    }
    if with_body:
        data["body"] = notice.body
    return data


def _page_args() -> tuple[int, int]:
    return request.args.get("page", 1, type=int), min(request.args.get("per_page", 20, type=int), 100)


@bp.get("/notices")
def list_notices():
    kind = request.args.get("kind")
    if kind and kind not in KIND_LABELS:
        raise ApiError(_("kind 只能是 %(kinds)s", kinds=", ".join(KIND_LABELS)), field="kind")
    page, per_page = _page_args()
    result = db.paginate(
        services.visible_notices_query(current_user, kind), page=page, per_page=per_page, error_out=False
    )
    return ok(
        {
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "notices": [notice_json(n) for n in result.items],
        }
    )


@bp.get("/notices/<int:notice_id>")
def get_notice(notice_id: int):
    notice = services.get_notice_for(notice_id, current_user)
    data = notice_json(notice, with_body=True)
    data["has_read"] = services.has_read(notice, current_user)
    return ok(data)


@bp.post("/notices/<int:notice_id>/receipt")
def confirm_notice(notice_id: int):
    notice = services.get_notice_for(notice_id, current_user)
    if not services.reaches(current_user, notice):
        raise ApiError(_("这条公开不是发给您的，无需回执。"), status=400)
    services.mark_notice_read(notice, current_user, confirm=True)
    db.session.commit()
    return ok({"id": notice.id, "has_read": True})


@bp.get("/notifications")
def list_notifications():
    page, per_page = _page_args()
    unread_only = request.args.get("unread") in {"1", "true"}
    result = db.paginate(
        notifications.notifications_query(current_user.id, unread_only),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    return ok(
        {
            "unread": notifications.unread_count(current_user.id),
            "total": result.total,
            "page": result.page,
            "pages": result.pages,
            "notifications": [
                {
                    "id": n.id,
                    "kind": n.kind,
                    "title": n.title,
                    "body": n.body,
                    "url": n.url,
                    "created_at": n.created_at.isoformat(),
                    "read_at": n.read_at.isoformat() if n.read_at else None,
                }
                for n in result.items
            ],
        }
    )


@bp.post("/notifications/read-all")
def read_all_notifications():
    count = notifications.mark_all_read(current_user.id)
    db.session.commit()
    return ok({"marked": count})
