"""Leave, the rotating check-in code, checking in (with the code, or by the secretary scanning the
member's 二维码名片) and marking present by hand.

The code shown at the venue is derived from the meeting's secret key and the server's clock: it
changes every BRANCHLIFE_CODE_SECONDS, the previous code is still accepted, and no code is accepted
outside the check-in window (from BRANCHLIFE_CHECKIN_EARLY_MINUTES before the start to
BRANCHLIFE_CHECKIN_GRACE_MINUTES after the end). Whatever time a client claims is ignored.
"""

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import lazyload
from werkzeug.exceptions import Forbidden

from app.accounts.models import User
from app.branchlife.models import Attendance, Meeting
from app.branchlife.services.access import BranchLifeError
from app.core import audit
from app.core.clock import utcnow
from app.core.signals import notification_requested
from app.core.urls import id_from
from app.extensions import db
from app.membership.services import cards

REASON_MAX = 500


@dataclass(frozen=True)
class CheckinCode:
    code: str
    expires_at: datetime


def _window(meeting: Meeting) -> tuple[datetime, datetime]:
    config = current_app.config
    return (
        meeting.starts_at - timedelta(minutes=config["BRANCHLIFE_CHECKIN_EARLY_MINUTES"]),
        meeting.ends_at + timedelta(minutes=config["BRANCHLIFE_CHECKIN_GRACE_MINUTES"]),
    )


def _code_at(meeting: Meeting, slot: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    message = f"{meeting.id}:{meeting.checkin_key}:{slot}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def _slot(now: datetime) -> int:
    return int(now.timestamp()) // current_app.config["BRANCHLIFE_CODE_SECONDS"]


def _check_open(meeting: Meeting, now: datetime) -> None:
    if meeting.status != "published" or meeting.starts_at is None:
        raise BranchLifeError(_("该会议现在不能签到"), 422, "code")
    opens, closes = _window(meeting)
    if now < opens:
        raise BranchLifeError(_("签到尚未开始"), 422, "code")
    if now > closes:
        raise BranchLifeError(_("签到已结束"), 422, "code")


def checkin_code(actor: User, meeting: Meeting) -> CheckinCode:
    """The code to show at the venue now; the caller has checked ``actor`` runs the meeting."""
    now = utcnow()
    _check_open(meeting, now)
    slot = _slot(now)
    seconds = current_app.config["BRANCHLIFE_CODE_SECONDS"]
    expires = datetime.fromtimestamp((slot + 1) * seconds, UTC)
    return CheckinCode(_code_at(meeting, slot), min(expires, _window(meeting)[1]))


def _row_for(meeting: Meeting, member: User, lock: bool = False) -> Attendance:
    query = (
        sa.select(Attendance)
        .where(Attendance.meeting_id == meeting.id, Attendance.user_id == member.id)
        .options(lazyload(Attendance.member))
    )
    row = db.session.scalar(query.with_for_update(of=Attendance) if lock else query)
    if row is None:
        raise Forbidden(_("您不是这次会议的参会人员"))
    return row


def check_in(member: User, meeting: Meeting, code: str, online: bool = False) -> Attendance:
    """Check ``member`` in with the code shown at the venue (or on the online meeting's page).
    Checking in again answers the same state."""
    row = _row_for(meeting, member, lock=True)
    if row.is_present:
        return row
    now = utcnow()
    _check_open(meeting, now)
    code = "".join((code or "").split())[:16]
    slot = _slot(now)
    if not any(hmac.compare_digest(code, _code_at(meeting, s)) for s in (slot, slot - 1)):
        raise BranchLifeError(_("签到码不正确或已过期"), 422, "code")
    row.state = _arrival_state(meeting, now)
    row.method = "online" if online else "code"
    row.checked_in_at = now
    db.session.flush()
    return row


def _arrival_state(meeting: Meeting, now: datetime) -> str:
    late_after = meeting.starts_at + timedelta(minutes=current_app.config["BRANCHLIFE_LATE_AFTER_MINUTES"])
    return "late" if now > late_after else "present"


def card_attendee(actor: User, meeting: Meeting, payload: str, lock: bool = False) -> tuple[User, Attendance]:
    """The member whose 二维码名片 the secretary scanned (or pasted) at the venue, and their attendance
    row: the card is verified by the membership domain's service (signature, key, account, branch and
    category as of now), the member must be an expected attendee, and not the scanner."""
    if meeting.is_locked or meeting.status == "cancelled":
        raise BranchLifeError(_("会议已定稿，出席情况只能通过更正办理"), 409)
    _check_open(meeting, utcnow())
    try:
        member = cards.verify_card(payload).member
    except cards.CardRefused as exc:
        raise BranchLifeError(exc.message, 422, "payload") from exc
    if member.id == actor.id:
        raise BranchLifeError(_("不能为自己扫码签到，请用签到码签到"), 403, "payload")
    query = sa.select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.user_id == member.id)
    row = db.session.scalar(query.with_for_update(of=Attendance) if lock else query)
    if row is None:
        raise BranchLifeError(_("%(name)s 不是这次会议的参会人员", name=member.name), 422, "payload")
    return member, row


def check_in_by_card(actor: User, meeting: Meeting, payload: str) -> Attendance:
    """Record the presence of a card's member, once the secretary has seen the member's name and
    photo beside the person in front of them and confirmed (the card proves only that its bearer
    holds a valid card, so the page asks first: see :func:`card_attendee`). Scanning the same card
    again answers the same state. The presence is vouched for by the secretary (credited as a
    hand-marked one), so not for oneself."""
    member, row = card_attendee(actor, meeting, payload, lock=True)
    if row.is_present:
        return row
    row.state, row.method, row.checked_in_at, row.decided_by_id = (
        _arrival_state(meeting, utcnow()),
        "card",
        utcnow(),
        actor.id,
    )
    db.session.flush()
    audit.record(actor, "branchlife.card_checkin", meeting, f"扫描名片并确认本人在场，为 {member} 签到")
    return row


def mark_present(actor: User, meeting: Meeting, member_id: int, reason: str) -> Attendance:
    """The secretary marks an expected attendee present by hand, with a reason (audited)."""
    if meeting.is_locked or meeting.status == "cancelled":
        raise BranchLifeError(_("会议已定稿，出席情况只能通过更正办理"), 409)
    reason = (reason or "").strip()
    if not reason:
        raise BranchLifeError(_("请填写补登原因"), 422, "reason")
    if len(reason) > REASON_MAX:
        raise BranchLifeError(_("原因不能超过 %(max)s 个字", max=REASON_MAX), 422, "reason")
    if meeting.status != "published" or (meeting.starts_at is not None and utcnow() < meeting.starts_at):
        raise BranchLifeError(_("会议尚未开始，不能补登出席"), 422)
    if member_id == actor.id:
        raise BranchLifeError(_("不能为自己补登出席，请用签到码签到"), 403, "member")
    member_id = id_from(member_id) or 0  # a number no row holds: refused below as any stranger
    row = db.session.scalar(
        sa.select(Attendance)
        .where(Attendance.meeting_id == meeting.id, Attendance.user_id == member_id)
        .with_for_update(of=Attendance)
    )
    if row is None:
        raise BranchLifeError(_("该成员不是这次会议的参会人员"), 422, "member")
    if not row.is_present:
        row.state, row.method, row.reason, row.checked_in_at = "present", "manual", reason, utcnow()
        row.decided_by_id = actor.id
        db.session.flush()
        audit.record(actor, "branchlife.mark_present", meeting, f"补登 {row.member} 出席：{reason}")
    return row


def request_leave(member: User, meeting: Meeting, reason: str) -> Attendance:
    """An expected attendee asks for leave before the start."""
    row = _row_for(meeting, member, lock=True)
    reason = (reason or "").strip()
    if not reason:
        raise BranchLifeError(_("请填写请假原因"), 422, "reason")
    if len(reason) > REASON_MAX:
        raise BranchLifeError(_("原因不能超过 %(max)s 个字", max=REASON_MAX), 422, "reason")
    if meeting.status != "published" or meeting.starts_at is None or utcnow() >= meeting.starts_at:
        raise BranchLifeError(_("会议开始后不能再请假"), 422, "reason")
    if row.state == "leave_approved":
        return row
    if row.is_present:
        raise BranchLifeError(_("您已签到，无需请假"), 409)
    row.state, row.reason, row.leave_decision = "leave_requested", reason, ""
    db.session.flush()
    return row


def decide_leave(actor: User, meeting: Meeting, member_id: int, approve: bool) -> Attendance:
    """The secretary approves or refuses a leave request; the member is told either way."""
    member_id = id_from(member_id) or 0  # a number no row holds: refused below as any stranger
    row = db.session.scalar(
        sa.select(Attendance)
        .where(Attendance.meeting_id == meeting.id, Attendance.user_id == member_id)
        .with_for_update(of=Attendance)
    )
    if row is None or row.state != "leave_requested":
        raise BranchLifeError(_("没有待审批的请假"), 409)
    if meeting.is_locked:
        raise BranchLifeError(_("会议已定稿"), 409)
    row.state = "leave_approved" if approve else "expected"
    row.leave_decision = "approved" if approve else "refused"
    row.decided_by_id = actor.id
    db.session.flush()
    audit.record(
        actor,
        "branchlife.leave",
        meeting,
        f"{'批准' if approve else '不批准'} {row.member} 请假：{row.reason}",
    )
    notification_requested.send(
        "branchlife",
        user_ids=[member_id],
        title=_("请假已批准：%(title)s", title=meeting.title)
        if approve
        else _("请假未获批准：%(title)s", title=meeting.title),
        body=_("会后请阅读会议纪要补学。") if approve else _("请按时参会。"),
        url=f"/branchlife/meetings/{meeting.id}",
        kind="branchlife.leave",
    )
    return row
