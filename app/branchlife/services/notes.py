"""批评与自我批评 at a 组织生活会: each expected member writes their self-criticism; the secretary
records the criticism raised about each member. Both close when the meeting is finalised (later
changes go through an amendment of the minutes)."""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden

from app.accounts.models import User
from app.branchlife.models import Attendance, LifeMeetingNote, Meeting
from app.branchlife.services.access import BranchLifeError
from app.core import audit
from app.core.clock import utcnow
from app.core.urls import id_from
from app.extensions import db

NOTE_MAX = 10_000


def _note_for(meeting: Meeting, member_id: int) -> LifeMeetingNote:
    member_id = id_from(member_id) or 0  # a number no row holds: refused below as any stranger
    if meeting.kind != "life_meeting":
        raise BranchLifeError(_("只有组织生活会记录批评与自我批评"), 422)
    if meeting.status != "published":
        raise BranchLifeError(_("会议已定稿或尚未发布，不能再修改"), 409)
    expected = db.session.scalar(
        sa.select(Attendance.id).where(Attendance.meeting_id == meeting.id, Attendance.user_id == member_id)
    )
    if expected is None:
        raise Forbidden(_("您不是这次会议的参会人员"))
    note = db.session.scalar(
        sa.select(LifeMeetingNote).where(
            LifeMeetingNote.meeting_id == meeting.id, LifeMeetingNote.user_id == member_id
        )
    )
    if note is None:
        note = LifeMeetingNote(meeting_id=meeting.id, user_id=member_id, self_criticism="", criticism="")
        db.session.add(note)
    return note


def _text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise BranchLifeError(_("请填写内容"), 422, "text")
    if len(text) > NOTE_MAX:
        raise BranchLifeError(_("内容不能超过 %(max)s 个字", max=NOTE_MAX), 422, "text")
    return text


def write_self_criticism(member: User, meeting: Meeting, text: str) -> LifeMeetingNote:
    note = _note_for(meeting, member.id)
    note.self_criticism = _text(text)
    note.updated_by_id, note.updated_at = member.id, utcnow()
    db.session.flush()
    return note


def record_criticism(actor: User, meeting: Meeting, member_id: int, text: str) -> LifeMeetingNote:
    """The secretary records the criticism raised about ``member_id`` (the caller checked ``actor``
    runs the meeting)."""
    note = _note_for(meeting, member_id)
    note.criticism = _text(text)
    note.updated_by_id, note.updated_at = actor.id, utcnow()
    db.session.flush()
    audit.record(actor, "branchlife.criticism", meeting, f"记录对 {note.member or member_id} 的批评意见")
    return note


def notes_of(meeting: Meeting, user: User, manage: bool) -> list[LifeMeetingNote]:
    """The notes ``user`` may read: all of them for those who run the meeting, else their own."""
    query = sa.select(LifeMeetingNote).where(LifeMeetingNote.meeting_id == meeting.id)
    if not manage:
        query = query.where(LifeMeetingNote.user_id == user.id)
    return list(db.session.scalars(query.order_by(LifeMeetingNote.user_id)))
