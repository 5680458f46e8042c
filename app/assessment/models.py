"""党建考核: schemes (sections → indicators, each with a weight and a scoring rule), the coordinators'
manual scores, the committee's adjustments, and the results frozen with the inputs they came from."""

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.models import TimestampMixin
from app.core.types import UTCDateTime, enum_column
from app.extensions import db

POINTS = sa.Numeric(8, 2)


class SchemeStatus(enum.StrEnum):
    DRAFT = "draft"  # being defined; nobody is scored yet
    RUNNING = "running"  # scores computed live from the platform's data
    FROZEN = "frozen"  # the snapshot is taken; the committee reviews it
    PUBLISHED = "published"  # members see their branch's result


STATUS_LABELS = {
    SchemeStatus.DRAFT: _l("草稿"),
    SchemeStatus.RUNNING: _l("进行中"),
    SchemeStatus.FROZEN: _l("已冻结"),
    SchemeStatus.PUBLISHED: _l("已发布"),
}


class Scheme(TimestampMixin, db.Model):
    """An assessment of every 党支部 for one year (``half`` None) or half-year (``half`` 1 or 2)."""

    __tablename__ = "assessment_scheme"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    year: Mapped[int]
    #: None for the whole year; 1 or 2 for a half-year.
    half: Mapped[int | None]
    status: Mapped[SchemeStatus] = mapped_column(
        enum_column(SchemeStatus, "assessment_status"), default=SchemeStatus.DRAFT
    )
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sections: Mapped[list["Section"]] = relationship(
        back_populates="scheme", order_by="Section.position, Section.id", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.name

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def starts_on(self) -> date:
        return date(self.year, 7, 1) if self.half == 2 else date(self.year, 1, 1)

    @property
    def ends_on(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def period_label(self) -> str:
        if self.half is None:
            return f"{self.year}"
        return f"{self.year}H{self.half}"

    @property
    def is_frozen(self) -> bool:
        return self.status in (SchemeStatus.FROZEN, SchemeStatus.PUBLISHED)

    @property
    def indicators(self) -> list["Indicator"]:
        return [indicator for section in self.sections for indicator in section.indicators]

    @property
    def total_weight(self) -> Decimal:
        return sum((i.weight for i in self.indicators), Decimal("0"))


class Section(db.Model):
    __tablename__ = "assessment_section"

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessment_scheme.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(default=0)

    scheme: Mapped[Scheme] = relationship(back_populates="sections")
    indicators: Mapped[list["Indicator"]] = relationship(
        back_populates="section", order_by="Indicator.position, Indicator.id", cascade="all, delete-orphan"
    )


class Indicator(db.Model):
    """One line of the scheme. A computed one (``kind`` names a registered function of
    :mod:`app.assessment.indicators`) earns ``weight × clamp((value − floor) / (target − floor), 0, 1)``;
    a manual one (``kind`` = ``manual``) earns what a coordinator scored, 0 to ``weight``."""

    __tablename__ = "assessment_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assessment_section.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: The most points the indicator gives.
    weight: Mapped[Decimal] = mapped_column(POINTS)
    #: The value (a share, 0..1) at or below which it gives nothing.
    floor: Mapped[Decimal] = mapped_column(sa.Numeric(6, 4), default=Decimal("0"))
    #: The value at or above which it gives the full weight.
    target: Mapped[Decimal] = mapped_column(sa.Numeric(6, 4), default=Decimal("1"))
    position: Mapped[int] = mapped_column(default=0)

    section: Mapped[Section] = relationship(back_populates="indicators")

    @property
    def is_manual(self) -> bool:
        return self.kind == "manual"


class ManualScore(db.Model):
    """A coordinator's score of a manual indicator for one 党支部, with the comment and evidence."""

    __tablename__ = "assessment_manual_score"
    __table_args__ = (sa.UniqueConstraint("indicator_id", "branch_id", name="uq_assessment_manual_score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_indicator.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="CASCADE"), index=True)
    points: Mapped[Decimal] = mapped_column(POINTS)
    comment: Mapped[str] = mapped_column(sa.String(1000))
    #: The stored evidence file's name under the domain's upload folder, and the name it was uploaded as.
    evidence_file: Mapped[str] = mapped_column(sa.String(64))
    evidence_name: Mapped[str] = mapped_column(sa.String(200))
    scored_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Adjustment(db.Model):
    """The committee's change to one indicator's points for one 党支部 (the latest one counts)."""

    __tablename__ = "assessment_adjustment"
    __table_args__ = (sa.UniqueConstraint("indicator_id", "branch_id", name="uq_assessment_adjustment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_indicator.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="CASCADE"), index=True)
    #: Points added (negative: taken away) to what the rule gave.
    delta: Mapped[Decimal] = mapped_column(POINTS)
    reason: Mapped[str] = mapped_column(sa.String(500))
    adjusted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    adjusted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Result(db.Model):
    """One indicator's result for one 党支部 as frozen: the value, the inputs it was computed from and
    the points. Written once at freeze; later changes to the platform's data never reach it."""

    __tablename__ = "assessment_result"
    __table_args__ = (
        sa.UniqueConstraint("scheme_id", "branch_id", "indicator_id", name="uq_assessment_result"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_scheme.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_indicator.id", ondelete="CASCADE"))
    #: The measured share (computed indicators), None for manual ones.
    value: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 4))
    #: What the value was computed from: ``{"numerator": .., "denominator": ..}``.
    inputs: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    points: Mapped[Decimal] = mapped_column(POINTS)
    #: The committee's change at freeze; the indicator gives ``points + adjustment``.
    adjustment: Mapped[Decimal] = mapped_column(POINTS, default=Decimal("0"))
    note: Mapped[str] = mapped_column(sa.String(1000), default="")


class BranchResult(db.Model):
    """A 党支部's frozen total and member count (the weight of its total in the roll-up)."""

    __tablename__ = "assessment_branch_result"
    __table_args__ = (sa.UniqueConstraint("scheme_id", "branch_id", name="uq_assessment_branch_result"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_scheme.id", ondelete="CASCADE"))
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="CASCADE"), index=True)
    members: Mapped[int]
    total: Mapped[Decimal] = mapped_column(POINTS)
