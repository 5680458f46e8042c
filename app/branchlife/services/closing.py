"""Finalising a meeting (credits each member present once, through records) and amending it after.

Finalising locks the meeting row first, so two finalisations at once queue: the second finds the
meeting finalised and credits nothing (and records' ledger credits a source once per member in any
case). After that the meeting is locked: the minutes change only by an amendment with a reason,
kept with the text it replaced; hours are corrected by a reversal on the member's record.
"""

from collections import defaultdict

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import User
from app.branchlife.models import Amendment, Attendance, Meeting
from app.branchlife.services.access import BranchLifeError
from app.branchlife.services.planning import credit_for, meeting_label, set_lecturer
from app.core import audit
from app.core.clock import utcnow
from app.core.signals import notification_requested
from app.extensions import db
from app.records import services as records

SUMMARY_MAX = 20_000


def _check_summary(summary: str) -> str:
    summary = (summary or "").strip()
    if not summary:
        raise BranchLifeError(_("请填写会议纪要"), 422, "minutes")
    if len(summary) > SUMMARY_MAX:
        raise BranchLifeError(_("会议纪要不能超过 %(max)s 个字", max=SUMMARY_MAX), 422, "minutes")
    return summary


def _locked(meeting: Meeting) -> Meeting:
    return db.session.scalars(
        sa.select(Meeting)
        .where(Meeting.id == meeting.id)
        .with_for_update(of=Meeting)
        .execution_options(populate_existing=True)
    ).one()


def finalise_meeting(actor: User, meeting: Meeting, summary: str, lecturer_id: int | None = None) -> Meeting:
    """Write the minutes and close the meeting: whoever is not present is absent (approved leave
    stays leave), and each member present is credited once. Finalising again changes nothing.
    For a 党课, ``lecturer_id`` (or the one planned) is who gave it, as of today."""
    summary = _check_summary(summary)
    meeting = _locked(meeting)
    if meeting.status == "finalised":
        return meeting
    if meeting.status != "published":
        raise BranchLifeError(_("请先发布会议"), 409)
    if meeting.branch is not None:
        set_lecturer(meeting, meeting.branch, lecturer_id or meeting.lecturer_id)
    if meeting.starts_at is not None and utcnow() < meeting.starts_at:
        raise BranchLifeError(_("会议尚未开始，不能定稿"), 422)
    rows = db.session.scalars(sa.select(Attendance).where(Attendance.meeting_id == meeting.id)).all()
    for row in rows:
        if row.state in ("expected", "leave_requested"):
            row.state = "absent"
    verified = [r.user_id for r in rows if r.is_present and r.method in ("code", "online")]
    # A hand-marked presence, or a scanned card, is vouched for by whoever marked or scanned it (the
    # one who saw the member), not by whoever finalises: a coordinator who scanned the secretary's
    # card at the door vouches for the secretary, who may then finalise their own meeting.
    vouched: dict[int, list[int]] = defaultdict(list)
    for r in rows:
        if r.is_present and r.method not in ("code", "online"):
            vouched[r.decided_by_id or actor.id].append(r.user_id)
    credit = credit_for(meeting)
    try:
        records.credit_meeting(verified, credit, None)  # a code the member typed: the server's evidence
        for voucher_id, members in vouched.items():
            voucher = actor if voucher_id == actor.id else db.session.get(User, voucher_id)
            records.credit_meeting(members, credit, voucher)
    except records.RecordsError as exc:
        raise BranchLifeError(exc.message, exc.status, exc.field) from exc
    meeting.summary = summary
    meeting.attendees = len(verified) + sum(len(members) for members in vouched.values())
    meeting.status = "finalised"
    meeting.finalised_at = utcnow()
    meeting.finalised_by_id = actor.id
    db.session.flush()
    on_leave = [r.user_id for r in rows if r.state == "leave_approved"]
    if on_leave:
        notification_requested.send(
            "branchlife",
            user_ids=on_leave,
            title=_("请补学：%(label)s", label=meeting_label(meeting)),
            body=_("您请假未参加这次会议，请阅读会议纪要补学。"),
            url=f"/branchlife/meetings/{meeting.id}",
            kind="branchlife.catch_up",
        )
    audit.record(
        actor, "branchlife.finalise", meeting, f"定稿{meeting_label(meeting)}，{meeting.attendees} 人出席"
    )
    return meeting


def amend_summary(actor: User, meeting: Meeting, summary: str, reason: str) -> Amendment:
    """Change a finalised meeting's minutes; the old text and the reason stay in its history."""
    summary = _check_summary(summary)
    reason = (reason or "").strip()
    if not reason:
        raise BranchLifeError(_("请填写更正原因"), 422, "reason")
    if len(reason) > 500:
        raise BranchLifeError(_("原因不能超过 %(max)s 个字", max=500), 422, "reason")
    meeting = _locked(meeting)
    if meeting.status != "finalised":
        raise BranchLifeError(_("会议定稿后才需要更正；定稿前请直接修改"), 409)
    amendment = Amendment(
        meeting_id=meeting.id,
        field="summary",
        old_value=meeting.summary,
        new_value=summary,
        reason=reason,
        actor_id=actor.id,
    )
    meeting.summary = summary
    db.session.add(amendment)
    db.session.flush()
    audit.record(actor, "branchlife.amend", meeting, f"更正{meeting_label(meeting)}的纪要：{reason}")
    return amendment
