"""Hardship cases (困难帮扶): confidential. Only the member concerned (and whoever filed for them),
the secretaries of the member's branch, the assistance officers over it and admins see a case;
every look at one is written to the audit log."""

# Tables alike in shape to other domains' (id, owner, status with labels, link tables of two keys,
# timestamps), kept apart: each holds its own rows and constraints.

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.models import TimestampMixin
from app.core.types import UTCDateTime, enum_column
from app.extensions import db

MONEY = sa.Numeric(12, 2)


# Enums with their label dicts, alike in shape to each other and to other domains' enums, kept
# apart: each is one column's own values and labels.
class CaseKind(enum.StrEnum):
    ILLNESS = "illness"
    FAMILY = "family"
    DISASTER = "disaster"
    OTHER = "other"


CASE_KIND_LABELS = {
    CaseKind.ILLNESS: "重病",
    CaseKind.FAMILY: "家庭困难",
    CaseKind.DISASTER: "受灾",
    CaseKind.OTHER: "其他",
}


class CaseStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CLOSED = "closed"


CASE_STATUS_LABELS = {
    CaseStatus.SUBMITTED: "待审核",
    CaseStatus.APPROVED: "帮扶中",
    CaseStatus.REJECTED: "未通过",
    CaseStatus.CLOSED: "已结案",
}


class AssistanceKind(enum.StrEnum):
    VISIT = "visit"
    CASH = "cash"
    IN_KIND = "in_kind"


ASSISTANCE_KIND_LABELS = {
    AssistanceKind.VISIT: "走访慰问",
    AssistanceKind.CASH: "发放补助",
    AssistanceKind.IN_KIND: "实物帮扶",
}


class CareOfficer(db.Model):
    """An assistance officer (帮扶专员) designated by an admin for a committee's subtree."""

    __tablename__ = "care_officer"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="CASCADE"), index=True)

    user = relationship("User", lazy="joined")
    branch = relationship("Branch", lazy="joined")


class HardshipCase(TimestampMixin, db.Model):
    __tablename__ = "hardship_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The member in hardship.
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: The member's branch when the case was filed: it decides who may see the case.
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="RESTRICT"), index=True)
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[CaseKind] = mapped_column(enum_column(CaseKind, "hardship_kind", length=16))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text)
    amount_needed: Mapped[Decimal | None] = mapped_column(MONEY)
    status: Mapped[CaseStatus] = mapped_column(
        enum_column(CaseStatus, "hardship_status", length=16), default=CaseStatus.SUBMITTED
    )
    decision_note: Mapped[str] = mapped_column(sa.String(1000), default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The next follow-up visit; its handlers are reminded on that (local) day.
    follow_up_on: Mapped[date | None]
    #: The follow-up date already reminded of (a reminder goes once per date).
    follow_up_reminded_on: Mapped[date | None]

    member = relationship("User", foreign_keys=[member_id], lazy="joined")
    filed_by = relationship("User", foreign_keys=[filed_by_id], lazy="joined")
    branch = relationship("Branch", lazy="joined")
    documents: Mapped[list["HardshipDocument"]] = relationship(
        back_populates="case", order_by="HardshipDocument.id", cascade="all, delete-orphan"
    )
    assistance: Mapped[list["HardshipAssistance"]] = relationship(
        back_populates="case", order_by="HardshipAssistance.given_on", cascade="all, delete-orphan"
    )

    @property
    def kind_label(self) -> str:
        return CASE_KIND_LABELS[self.kind]

    @property
    def status_label(self) -> str:
        return CASE_STATUS_LABELS[self.status]


class HardshipDocument(db.Model):
    __tablename__ = "hardship_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("hardship_case.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[HardshipCase] = relationship(back_populates="documents")


class HardshipAssistance(db.Model):
    """One act of help: a visit (走访慰问), money paid, or help in kind."""

    __tablename__ = "hardship_assistance"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("hardship_case.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AssistanceKind] = mapped_column(enum_column(AssistanceKind, "assistance_kind", length=16))
    given_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"))
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[HardshipCase] = relationship(back_populates="assistance")

    @property
    def kind_label(self) -> str:
        return ASSISTANCE_KIND_LABELS[self.kind]
