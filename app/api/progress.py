"""``POST /api/v1/lessons/<id>/progress``: the player's heartbeats (see app.records.services), and
the presence check (防挂机) they may open: its image and its answer (see app.records.presence)."""

from flask import Response, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import BadRequest

from app.api import ApiError, bp, ok
from app.extensions import db
from app.records import presence
from app.records import services as records


def _json_body() -> dict:
    try:
        payload = request.get_json(force=True, silent=False)
    except BadRequest as exc:
        raise ApiError(_("请求体不是有效的 JSON"), 400) from exc
    return payload


def _check_json(check: records.OpenCheck | None) -> dict | None:
    """What the player needs to ask the member: where the image is and where to answer; the digits
    themselves travel only as pixels."""
    if check is None:
        return None
    return {
        "id": check.public_id,
        "image_url": url_for("api.presence_image", public_id=check.public_id),
        "answer_url": url_for("api.presence_answer", public_id=check.public_id),
        "expires_at": check.expires_at.isoformat(),
        "digits": presence.CODE_LENGTH,
    }


@bp.post("/lessons/<int:lesson_id>/progress")
def post_progress(lesson_id: int):
    from courses.services.enrolment import (
        lesson_facts_for,  # courses registers after records; imported on use
    )

    payload = _json_body()
    heartbeat = records.parse_heartbeat(payload)
    facts = lesson_facts_for(lesson_id, current_user)
    state = records.record_heartbeat(current_user, facts, heartbeat, records.AccountingPolicy.from_config())
    db.session.commit()
    data = state.as_json()
    check = _check_json(state.presence_check)
    if check is not None:
        data["presence_check"] = check
    return ok(data)


@bp.get("/presence/<public_id>.png")
def presence_image(public_id: str):
    """The challenge's digits, drawn; only for its member and only while it is open."""
    challenge = presence.challenge_for(current_user.id, public_id[:40])
    if challenge.outcome is not None:
        raise ApiError(_("该确认已结束"), 404)
    image = presence.render_png(challenge.code)
    db.session.rollback()  # nothing changed: release the row lock taken to read it
    response = Response(image, mimetype="image/png")
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.post("/presence/<public_id>")
def presence_answer(public_id: str):
    payload = _json_body()
    code = payload.get("code") if isinstance(payload, dict) else None
    if not isinstance(code, str) or not code.strip() or len(code) > 16:
        raise ApiError(_("请输入图片中的数字"), 422, "code")
    policy = presence.PresencePolicy.from_config(current_app.config)
    result = presence.answer(current_user.id, public_id[:40], code, policy)
    db.session.commit()
    follow_up = result.next_challenge
    return ok(
        {
            "passed": result.passed,
            "message": result.message,
            "presence_check": _check_json(
                None if follow_up is None else records.OpenCheck(follow_up.public_id, follow_up.expires_at)
            ),
        }
    )
