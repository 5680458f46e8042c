"""Points (积分): the caller's total, today's points by action (with caps) and recent entries."""

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from app.api import ApiError, bp, ok
from app.extensions import db
from app.quiz import points


@bp.get("/points")
def my_points():
    today = points.points_today(current_user.id)
    recent = db.session.scalars(points.history_query(current_user.id).limit(20)).all()
    return ok(
        {
            "total": points.points_total(current_user.id),
            "today": {
                action: {**value, "label": points.ACTION_LABELS.get(action, action)}
                for action, value in today.items()
            },
            "today_total": sum(v["points"] for v in today.values()),
            "recent": [points.entry_json(e) for e in recent],
        }
    )


@bp.get("/leaderboard")
def leaderboard():
    kind = request.args.get("kind", "branch")
    if kind == "personal":
        if not current_app.config["POINTS_PERSONAL_RANKING"]:
            raise ApiError(_("个人排名未开启，排行榜按支部显示。"), 404)
        return ok(points.personal_leaderboard())
    return ok(points.branch_leaderboard())
