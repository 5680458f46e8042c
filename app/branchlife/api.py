"""Organisation life over ``/api/v1``: the same services and the same rules as the pages."""

# Views alike in shape to other blueprints' views by design (load, authorise, one service, commit,
# redirect; import blocks alike too), kept apart: each names its own loader, service and words.

from datetime import datetime

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import lazyload
from werkzeug.exceptions import Forbidden, NotFound

from app.branchlife import compliance_views, services
from app.branchlife.models import Attendance, Meeting
from app.core.errors import json_ok
from app.core.urls import id_from
from app.extensions import db
from app.org.models import Branch


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise services.BranchLifeError(_("请求体须为 JSON 对象"), 422)
    return body


def _text(body: dict, key: str, limit: int = 20_000) -> str:
    value = body.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise services.BranchLifeError(_("%(field)s 须为字符串", field=key), 422, key)
    return value[:limit]


def _moment(body: dict, key: str) -> datetime:
    value = body.get(key)
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise services.BranchLifeError(_("%(field)s 须为带时区的 ISO-8601 时间", field=key), 422, key)
    return moment


def meeting_json(meeting: Meeting) -> dict:
    return {
        "id": meeting.id,
        "branch_id": meeting.branch_id,
        "kind": meeting.kind,
        "topic": meeting.title,
        "status": meeting.status,
        "starts_at": meeting.starts_at.isoformat() if meeting.starts_at else None,
        "ends_at": meeting.ends_at.isoformat() if meeting.ends_at else None,
        "held_on": meeting.held_on.isoformat(),
        "place": meeting.place,
        "online_url": meeting.online_url,
        "attendees": meeting.attendees,
        "minutes": meeting.summary,
        "group_id": meeting.group_id,
        "lecturer_id": meeting.lecturer_id,
        "lecturer_is_secretary": meeting.lecturer_is_secretary,
    }


def attendance_json(row: Attendance) -> dict:
    return {
        "meeting_id": row.meeting_id,
        "member_id": row.user_id,
        "state": row.state,
        "method": row.method,
        "checked_in_at": row.checked_in_at.isoformat() if row.checked_in_at else None,
    }


def _attendees(body: dict):
    value = body.get("attendees", "branch")
    if value == "branch":
        return "branch"
    if isinstance(value, dict) and set(value) == {"group"} and id_from(value["group"]):
        return "group"
    if isinstance(value, list) and len(value) <= 5000:
        ids = [id_from(v) for v in value]
        if all(ids):
            return ids
    raise services.BranchLifeError(
        _('attendees 须为 "branch"、{"group": 党小组 id} 或成员 id 列表'), 422, "attendees"
    )


def create_meeting():
    body = _body()
    branch = (
        db.session.get(Branch, id_from(body.get("branch_id"))) if id_from(body.get("branch_id")) else None
    )
    if branch is None:
        raise NotFound()
    if not services.can_plan(current_user, branch):
        raise Forbidden()
    plan = services.MeetingPlan(
        kind=_text(body, "kind", 32),
        title=_text(body, "topic", 500),
        starts_at=_moment(body, "starts_at"),
        ends_at=_moment(body, "ends_at"),
        place=_text(body, "place", 500),
        online_url=_text(body, "online_url", 1000),
        agenda=_text(body, "agenda", 10_000),
        attendees=_attendees(body),
        draft=body.get("draft") is True,
        lecturer_id=id_from(body.get("lecturer_id")),
        group_id=id_from(body["attendees"].get("group")) if isinstance(body.get("attendees"), dict) else None,
    )
    meeting = services.plan_meeting(current_user, branch, plan)
    db.session.commit()
    return json_ok(meeting_json(meeting), 201)


def get_meeting(meeting_id: int):
    return json_ok(meeting_json(services.get_meeting_for(meeting_id, current_user)))


def checkin_code(meeting_id: int):
    meeting = services.get_meeting_for(meeting_id, current_user, manage=True)
    code = services.checkin_code(current_user, meeting)
    return json_ok({"code": code.code, "expires_at": code.expires_at.isoformat()})


def checkin(meeting_id: int):
    # The hot path of a check-in rush: the meeting alone (no eager joins); whoever is not an expected
    # attendee gets 403 from the service, members of other branches and coordinators alike.
    meeting = (
        db.session.get(Meeting, id_from(meeting_id), options=[lazyload("*")]) if id_from(meeting_id) else None
    )
    if meeting is None:
        raise NotFound()
    body = _body()
    row = services.check_in(current_user, meeting, _text(body, "code", 32), online=body.get("online") is True)
    db.session.commit()
    return json_ok(attendance_json(row))


def leave(meeting_id: int):
    meeting = services.get_meeting_for(meeting_id, current_user)
    row = services.request_leave(current_user, meeting, _text(_body(), "reason", 1000))
    db.session.commit()
    return json_ok(attendance_json(row))


def finalize(meeting_id: int):
    meeting = services.get_meeting_for(meeting_id, current_user, manage=True)
    body = _body()
    meeting = services.finalise_meeting(
        current_user, meeting, _text(body, "minutes"), id_from(body.get("lecturer_id"))
    )
    db.session.commit()
    return json_ok(meeting_json(meeting))


ROUTES = (
    ("/meetings", "create_meeting", create_meeting, ["POST"]),
    ("/meetings/<int:meeting_id>", "get_meeting", get_meeting, ["GET"]),
    ("/meetings/<int:meeting_id>/checkin-code", "checkin_code", checkin_code, ["GET"]),
    ("/meetings/<int:meeting_id>/checkin", "checkin", checkin, ["POST"]),
    ("/meetings/<int:meeting_id>/leave", "leave", leave, ["POST"]),
    ("/meetings/<int:meeting_id>/finalize", "finalize", finalize, ["POST"]),
    ("/branches/<int:branch_id>/compliance", "compliance", compliance_views.api_compliance, ["GET"]),
)


def make_blueprint() -> Blueprint:
    """A blueprint under ``/api/v1`` that authenticates exactly as the API's own (bearer token or
    session + CSRF), so these resources answer like every other one."""
    from app.api import authenticate, no_session_cookie_for_tokens
    from app.extensions import csrf

    bp = Blueprint("branchlife_api", __name__, url_prefix="/api/v1")
    csrf.exempt(bp)
    bp.before_request(authenticate)
    bp.after_request(no_session_cookie_for_tokens)
    for rule, endpoint, view, methods in ROUTES:
        bp.add_url_rule(rule, endpoint, view, methods=methods)
    return bp
