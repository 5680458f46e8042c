"""Member lifecycle tables: recorded development steps, reminders sent, branch stints, transfers."""

# Tables alike in shape to other domains' (id, owner, status with labels, link tables of two keys,
# timestamps), kept apart: each holds its own rows and constraints.

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import CATEGORY_LABELS, MemberCategory
from app.core.clock import utcnow
from app.core.types import UTCDateTime, enum_column
from app.extensions import db


class DevelopmentStep(db.Model):
    """One step of a person's 发展党员 file, recorded once (``key`` names it in :mod:`.rules`).

    ``override_rules``/``override_reason`` say which rules a coordinator set aside, and why."""

    __tablename__ = "development_step"
    __table_args__ = (sa.UniqueConstraint("member_id", "key", name="uq_development_step_member_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(32))
    done_on: Mapped[date]
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    votes_for: Mapped[int | None]
    votes_present: Mapped[int | None]
    override_rules: Mapped[str] = mapped_column(sa.String(300), default="")
    override_reason: Mapped[str] = mapped_column(sa.String(1000), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    recorded_by = relationship("User", foreign_keys=[recorded_by_id])  # shown only beside an override


class DevelopmentReminder(db.Model):
    """A reminder (before a deadline) or an alert (after it) sent once for a person's step."""

    __tablename__ = "development_reminder"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "key", "kind", name="uq_development_reminder_member_key_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(32))
    #: ``reminder`` or ``overdue``
    kind: Mapped[str] = mapped_column(sa.String(16))
    due_on: Mapped[date]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BranchStint(db.Model):
    """A member's time in one branch, ``[started_on, ended_on)``; ``ended_on`` is None for the current
    one. Reports of a past year count the member where the stint of that date was."""

    __tablename__ = "branch_stint"
    __table_args__ = (sa.Index("ix_branch_stint_branch_dates", "branch_id", "started_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="RESTRICT"))
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    transfer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("transfer.id", ondelete="SET NULL"))


class TransferStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


TRANSFER_STATUS_LABELS = {
    TransferStatus.PENDING: "待审批",
    TransferStatus.APPROVED: "已完成",
    TransferStatus.REJECTED: "已退回",
}


class Transfer(db.Model):
    """组织关系转接 inside the organisation: approved by the sending and the receiving side."""

    __tablename__ = "transfer"
    __table_args__ = (
        # At most one pending transfer per member, whatever two requests race.
        sa.Index(
            "uq_transfer_member_pending",
            "member_id",
            unique=True,
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    from_branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="RESTRICT"), index=True)
    to_branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="RESTRICT"), index=True)
    status: Mapped[TransferStatus] = mapped_column(
        enum_column(TransferStatus, "transfer_status"), default=TransferStatus.PENDING
    )
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sender_approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    sender_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    receiver_approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    receiver_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    reject_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    member = relationship("User", foreign_keys=[member_id], lazy="joined")
    from_branch = relationship("Branch", foreign_keys=[from_branch_id], lazy="joined")
    to_branch = relationship("Branch", foreign_keys=[to_branch_id], lazy="joined")

    @property
    def status_label(self) -> str:
        return TRANSFER_STATUS_LABELS[self.status]


# An enum, its labels and a label property, alike in shape to TransferStatus, ArchiveEntryKind and
# media_pipeline's enums: kept apart, each the column of its own table.
class DocumentKind(enum.StrEnum):
    APPLICATION = "application"
    THOUGHT_REPORT = "thought_report"
    INSPECTION = "inspection"
    POLITICAL_REVIEW = "political_review"
    VOLUNTEER_FORM = "volunteer_form"
    OTHER = "other"


DOCUMENT_KIND_LABELS = {
    DocumentKind.APPLICATION: "入党申请书",
    DocumentKind.THOUGHT_REPORT: "思想汇报",
    DocumentKind.INSPECTION: "考察记录",
    DocumentKind.POLITICAL_REVIEW: "政审材料",
    DocumentKind.VOLUNTEER_FORM: "入党志愿书",
    DocumentKind.OTHER: "其他材料",
}

#: Kinds that are always confidential: the member's own view of the archive leaves them out.
CONFIDENTIAL_KINDS = frozenset({DocumentKind.POLITICAL_REVIEW})


class MemberDocument(db.Model):
    """A document in a member's archive (PDF or image, recognised by content, always downloaded)."""

    __tablename__ = "member_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, "member_document_kind", 24))
    #: The development step it belongs to, if any (a key of :data:`app.membership.rules.STEPS`).
    step_key: Mapped[str] = mapped_column(sa.String(32), default="")
    filename: Mapped[str] = mapped_column(sa.String(200))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    confidential: Mapped[bool] = mapped_column(default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind_label(self) -> str:
        return DOCUMENT_KIND_LABELS[self.kind]


class ArchiveEntryKind(enum.StrEnum):
    REVIEW = "review"
    REWARD = "reward"
    PENALTY = "penalty"


ENTRY_KIND_LABELS = {
    ArchiveEntryKind.REVIEW: "民主评议",
    ArchiveEntryKind.REWARD: "奖励",
    ArchiveEntryKind.PENALTY: "处分",
}


class ArchiveEntry(db.Model):
    """A 民主评议 result or a 奖惩 entry in a member's archive."""

    __tablename__ = "archive_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ArchiveEntryKind] = mapped_column(enum_column(ArchiveEntryKind, "archive_entry_kind"))
    occurred_on: Mapped[date]
    title: Mapped[str] = mapped_column(sa.String(200))
    confidential: Mapped[bool] = mapped_column(default=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def kind_label(self) -> str:
        return ENTRY_KIND_LABELS[self.kind]


class LetterDirection(enum.StrEnum):
    OUT = "out"
    IN = "in"


class TransferLetter(db.Model):
    """组织关系介绍信 for a transfer to or from outside the organisation, and its 回执.

    Outgoing: our branch issues the letter (numbered ``YYYY-NNNNN``); the member leaves the branch
    when the receiving organisation's 回执 is recorded. Incoming: the letter the member brings is
    recorded with its number; the member joins the branch at once and the 回执 is printed to send back.
    """

    __tablename__ = "transfer_letter"
    __table_args__ = (sa.UniqueConstraint("direction", "letter_no", name="uq_transfer_letter_direction_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    direction: Mapped[LetterDirection] = mapped_column(enum_column(LetterDirection, "letter_direction", 8))
    #: Our side: the branch the member leaves (outgoing) or joins (incoming).
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="RESTRICT"), index=True)
    outside_org: Mapped[str] = mapped_column(sa.String(200))
    letter_no: Mapped[str | None] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    issued_on: Mapped[date]
    receipt_on: Mapped[date | None]
    receipt_note: Mapped[str] = mapped_column(sa.String(500), default="")

    # Relationships alike in shape to courses' comments and their reports: different tables.
    member = relationship("User", foreign_keys=[member_id], lazy="joined")
    branch = relationship("Branch", foreign_keys=[branch_id], lazy="joined")


class DevelopmentContact(db.Model):
    """A 培养联系人 assigned to a person in the 发展党员 process (two per person)."""

    __tablename__ = "development_contact"
    __table_args__ = (
        sa.UniqueConstraint("member_id", "contact_id", name="uq_development_contact_member_contact"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)

    contact = relationship("User", foreign_keys=[contact_id], lazy="joined")


class BaselineSource(enum.StrEnum):
    IMPORT = "import"


class CategoryBaseline(db.Model):
    """导入时的既有身份: the category a person already had when their account came in (a bulk import),
    recorded on their development file instead of typed into the account. The category changes only
    here and through the workflow's steps."""

    __tablename__ = "category_baseline"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    category: Mapped[MemberCategory] = mapped_column(enum_column(MemberCategory, "member_category"))
    source: Mapped[BaselineSource] = mapped_column(enum_column(BaselineSource, "baseline_source", 8))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]


class MemberPhoto(db.Model):
    """The photo on a member's 二维码名片: one per member, a JPEG re-encoded from what was uploaded."""

    __tablename__ = "member_photo"

    member_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
