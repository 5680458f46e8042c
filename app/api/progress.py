"""``POST /api/v1/lessons/<id>/progress``: the player's heartbeats (see app.records.services)."""

from flask import request
from flask_login import current_user
from werkzeug.exceptions import BadRequest

from app.api import ApiError, bp, ok
from app.extensions import db
from app.records import services as records


@bp.post("/lessons/<int:lesson_id>/progress")
def post_progress(lesson_id: int):
    from courses.services import lesson_facts_for  # courses registers after records; imported on use

    try:
        payload = request.get_json(force=True, silent=False)
    except BadRequest as exc:
        raise ApiError("请求体不是有效的 JSON", 400) from exc
    try:
        heartbeat = records.parse_heartbeat(payload)
        facts = lesson_facts_for(lesson_id, current_user)
        state = records.record_heartbeat(
            current_user, facts, heartbeat, records.AccountingPolicy.from_config()
        )
    except records.RecordsError as exc:
        db.session.rollback()
        raise ApiError(str(exc), exc.status, exc.field) from exc
    db.session.commit()
    return ok(state.as_json())
