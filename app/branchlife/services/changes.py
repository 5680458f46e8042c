"""Changing a planned meeting before it starts: editing it, or cancelling it.

Only a meeting not yet started (server clock) and with nobody checked in may change this way; after
that the record is what happened (finalised meetings change by amendment, with a reason). Attendees
of a published meeting are told of the change or the cancellation. A cancelled meeting is never held:
compliance counts finalised meetings only.
"""

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.accounts.models import User
from app.branchlife.models import Attendance, Meeting
from app.branchlife.services.access import BranchLifeError
from app.branchlife.services.closing import _locked
from app.branchlife.services.planning import (
    MeetingPlan,
    _check_kind_and_title,
    _check_place,
    _check_times,
    _expected_ids,
    _when,
    meeting_label,
    set_lecturer,
)
from app.core import audit
from app.core.clock import LOCAL_TZ, utcnow
from app.core.signals import notification_requested
from app.extensions import db

REASON_MAX = 500


def _changeable(meeting: Meeting) -> Meeting:
    """The meeting, locked, if it may still change: planned, not started, nobody checked in."""
    meeting = _locked(meeting)
    if meeting.status not in ("draft", "published"):
        raise BranchLifeError(_("只有尚未开始的会议可以修改或取消；已定稿的会议请提交更正"), 409)
    if meeting.starts_at is None or utcnow() >= meeting.starts_at:
        raise BranchLifeError(_("会议已经开始，不能再修改或取消"), 409)
    checked_in = db.session.scalar(
        sa.select(Attendance.id).where(
            Attendance.meeting_id == meeting.id, Attendance.state.in_(("present", "late"))
        )
    )
    if checked_in is not None:
        raise BranchLifeError(_("已有成员签到，会议不能再修改或取消"), 409)
    return meeting


def _tell(meeting: Meeting, title: str, body: str, kind: str) -> None:
    if meeting.status == "draft":
        return  # nobody was told of a draft
    notification_requested.send(
        "branchlife",
        user_ids=_expected_ids(meeting),
        title=title,
        body=body,
        url=f"/branchlife/meetings/{meeting.id}",
        kind=kind,
    )


def _described(meeting: Meeting) -> str:
    """The meeting as the audit line of an edit shows it, before and after."""
    where = meeting.place or meeting.online_url
    shown = "，对全体党员开放" if meeting.is_open else ""
    return f"{meeting_label(meeting)}（{_when(meeting)} {where}{shown}）"


def edit_meeting(actor: User, meeting: Meeting, plan: MeetingPlan) -> Meeting:
    """Change a planned meeting's kind, topic, time, place, link, agenda, lecturer or whether it is
    open to every member (its attendees stay). The caller has checked that ``actor`` runs the
    meeting's branch."""
    meeting = _changeable(meeting)
    title = _check_kind_and_title(plan.kind, plan.title)
    minutes = _check_times(plan)
    _check_place(plan)
    before = _described(meeting)
    day = plan.starts_at.astimezone(LOCAL_TZ).date()
    if day != meeting.held_on:
        meeting.reminded_at = None  # a new day: remind the day before it
    meeting.kind, meeting.title, meeting.held_on, meeting.minutes = plan.kind, title, day, minutes
    meeting.starts_at, meeting.ends_at = plan.starts_at, plan.ends_at
    meeting.place, meeting.online_url = (plan.place or "").strip(), (plan.online_url or "").strip()
    meeting.agenda = (plan.agenda or "").strip()
    meeting.is_open = bool(plan.is_open)
    if meeting.branch is not None:
        set_lecturer(meeting, meeting.branch, plan.lecturer_id or meeting.lecturer_id)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise BranchLifeError(_("同一天已有同主题的同类会议"), 409, "title") from exc
    after = _described(meeting)
    audit.record(actor, "branchlife.edit", meeting, f"修改会议：{before} → {after}")
    _tell(
        meeting,
        _("会议变更：%(label)s", label=meeting_label(meeting)),
        _("会议已调整为 %(when)s %(where)s", when=_when(meeting), where=meeting.place or meeting.online_url),
        "branchlife.changed",
    )
    return meeting


def cancel_meeting(actor: User, meeting: Meeting, reason: str) -> Meeting:
    """Cancel a planned meeting with a reason; its attendees are told. It is kept (as ``cancelled``)
    and never counts as held."""
    reason = (reason or "").strip()
    if not reason:
        raise BranchLifeError(_("请填写取消原因"), 422, "reason")
    if len(reason) > REASON_MAX:
        raise BranchLifeError(_("原因不能超过 %(max)s 个字", max=REASON_MAX), 422, "reason")
    meeting = _changeable(meeting)
    was = meeting.status
    meeting.status = "cancelled"
    meeting.cancel_reason = reason
    db.session.flush()
    audit.record(actor, "branchlife.cancel", meeting, f"取消{meeting_label(meeting)}：{reason}")
    if was == "published":
        notification_requested.send(
            "branchlife",
            user_ids=_expected_ids(meeting),
            title=_("会议取消：%(label)s", label=meeting_label(meeting)),
            body=_("原定 %(when)s 的会议已取消。原因：%(reason)s", when=_when(meeting), reason=reason),
            url=f"/branchlife/meetings/{meeting.id}",
            kind="branchlife.cancelled",
        )
    return meeting
