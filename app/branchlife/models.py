"""Organisation life (组织生活) tables: meetings, who is expected at each and how they attended, and
the amendments made to a finalised meeting.

``meeting`` is the table records kept for 三会一课 before this domain existed (migration
0016_branchlife moved it here with every row); a meeting recorded after the fact is simply a meeting
that is ``finalised`` from the start.
"""

# Tables alike in shape to other domains' (id, owner, status with labels, link tables of two keys,
# timestamps), kept apart: each holds its own rows and constraints.

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.types import UTCDateTime
from app.extensions import db


class Meeting(db.Model):
    """A meeting of a branch: planned (``draft``/``published``) or held and locked (``finalised``).

    Each member present at a finalised meeting is credited ``minutes`` of hours once, through
    records, as the ledger entry ``meeting:<id>``."""

    __tablename__ = "meeting"
    __table_args__ = (
        # The same meeting entered twice (a double submit) is refused rather than credited twice.
        sa.UniqueConstraint("branch_id", "kind", "held_on", "title", name="uq_meeting_branch_kind_day_title"),
        sa.Index("ix_meeting_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``None`` once the branch is dissolved; its name stays in ``branch_name``.
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id", ondelete="SET NULL"), index=True)
    branch_name: Mapped[str] = mapped_column(sa.String(120))
    #: One of :data:`app.branchlife.kinds.KINDS`.
    kind: Mapped[str] = mapped_column(sa.String(24))
    #: The topic (主题).
    title: Mapped[str] = mapped_column(sa.String(120))
    #: The local day it is (or was) held on: what compliance counts.
    held_on: Mapped[date] = mapped_column(index=True)
    #: Its length in minutes: the hours each member present is credited.
    minutes: Mapped[int]
    #: Members credited (kept when finalised).
    attendees: Mapped[int] = mapped_column(default=0)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: draft | published | finalised | cancelled
    status: Mapped[str] = mapped_column(sa.String(16), default="finalised", server_default="finalised")
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    online_url: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    agenda: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: branch | group | chosen: who is expected (the rows of ``meeting_attendance`` list them either way).
    audience: Mapped[str] = mapped_column(sa.String(16), default="chosen", server_default="chosen")
    #: The minutes (纪要) with resolutions, written after the meeting.
    summary: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    #: Key of the rotating check-in code (never shown; the code is derived from it and the time).
    checkin_key: Mapped[str] = mapped_column(sa.String(64), default="", server_default="")
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: Who gives a 党课 (``lecture``).
    lecturer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: Whether the lecturer was the branch's 书记 when the 党课 was planned or finalised (kept, so a
    #: later change of secretary does not rewrite the year's compliance).
    lecturer_is_secretary: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The 党小组 expected, when ``audience`` is ``group``.
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("party_group.id", ondelete="SET NULL"))
    #: Why a planned meeting was cancelled (status ``cancelled``).
    cancel_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    #: Open to every member (a 主题党日 visitors may join): listed on the red map under its branch.
    is_open: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    branch = relationship("Branch", lazy="joined")
    lecturer = relationship("User", foreign_keys=[lecturer_id], lazy="selectin")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id], lazy="joined")

    @property
    def is_locked(self) -> bool:
        return self.status == "finalised"


class Attendance(db.Model):
    """One expected attendee of a meeting and how they attended."""

    __tablename__ = "meeting_attendance"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_attendance_meeting_user"),
        sa.Index("ix_meeting_attendance_user", "user_id", "meeting_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    #: expected | present | late | leave_requested | leave_approved | absent
    state: Mapped[str] = mapped_column(sa.String(16), default="expected")
    #: code | online | card (the secretary scanned the member's QR card) | manual | recorded (after the
    #: fact) — how presence was established.
    method: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The member's reason for leave, or the secretary's reason for marking them present by hand.
    reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    #: The secretary's answer to a leave request: approved | refused | "".
    leave_decision: Mapped[str] = mapped_column(sa.String(16), default="", server_default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    member = relationship("User", foreign_keys=[user_id], lazy="joined")

    @property
    def is_present(self) -> bool:
        return self.state in ("present", "late")


class Amendment(db.Model):
    """A change to a finalised meeting, with its reason and the text it replaced."""

    __tablename__ = "meeting_amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(sa.String(32))
    old_value: Mapped[str] = mapped_column(sa.Text, default="")
    new_value: Mapped[str] = mapped_column(sa.Text, default="")
    reason: Mapped[str] = mapped_column(sa.String(500))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor = relationship("User", lazy="joined")


class MeetingFile(db.Model):
    """Evidence attached to a meeting's minutes: a photo (re-encoded, metadata stripped, with a
    thumbnail) or a file (PDF or Office, recognised by content)."""

    __tablename__ = "meeting_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"), index=True)
    #: photo | file
    kind: Mapped[str] = mapped_column(sa.String(8))
    stored_name: Mapped[str] = mapped_column(sa.String(64))
    thumb_name: Mapped[str] = mapped_column(sa.String(64), default="")
    original_name: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LifeMeetingNote(db.Model):
    """A member's 批评与自我批评 at a 组织生活会: their own self-criticism and the criticism others
    raised, as the secretary recorded it. Seen by the member and by those who run the meeting."""

    __tablename__ = "meeting_note"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_note_meeting_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meeting.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    self_criticism: Mapped[str] = mapped_column(sa.Text, default="")
    criticism: Mapped[str] = mapped_column(sa.Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member = relationship("User", foreign_keys=[user_id], lazy="joined")


class PartyGroup(db.Model):
    """A 党小组: a named group of members of one 党支部, kept by its secretary; a meeting may expect
    "this 党小组" as its attendees. A member is in at most one 党小组."""

    __tablename__ = "party_group"
    __table_args__ = (sa.UniqueConstraint("branch_id", "name", name="uq_party_group_branch_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branch = relationship("Branch", lazy="joined")


class PartyGroupMember(db.Model):
    __tablename__ = "party_group_member"

    group_id: Mapped[int] = mapped_column(
        sa.ForeignKey("party_group.id", ondelete="CASCADE"), primary_key=True
    )
    #: Unique: one 党小组 per member.
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, unique=True
    )
