"""Members' works (党员风采): articles (Markdown), photo sets and short videos (through the media
pipeline), reviewed before they are published; liked once per member and commented on."""

# Tables alike in shape to other domains' (id, owner, status with labels, link tables of two keys,
# timestamps), kept apart: each holds its own rows and constraints.

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.models import TimestampMixin
from app.core.types import UTCDateTime, enum_column
from app.extensions import db

TITLE_MAX = 200
BODY_MAX = 50_000
COMMENT_MAX = 1000
REPORT_REASON_MAX = 500
PHOTOS_MAX = 9


# Enums with their label dicts, alike in shape to each other and to other domains' enums, kept
# apart: each is one column's own values and labels.
class WorkKind(enum.StrEnum):
    ARTICLE = "article"
    PHOTOS = "photos"
    VIDEO = "video"


WORK_KIND_LABELS = {WorkKind.ARTICLE: "文章", WorkKind.PHOTOS: "图片", WorkKind.VIDEO: "视频"}


class WorkStatus(enum.StrEnum):
    REVIEW = "review"
    PUBLISHED = "published"
    RETURNED = "returned"


WORK_STATUS_LABELS = {
    WorkStatus.REVIEW: "待审核",
    WorkStatus.PUBLISHED: "已发布",
    WorkStatus.RETURNED: "已退回",
}


class Work(TimestampMixin, db.Model):
    __tablename__ = "work"
    __table_args__ = (sa.Index("ix_work_status_published", "status", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    kind: Mapped[WorkKind] = mapped_column(enum_column(WorkKind, "work_kind", length=16))
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    #: Markdown: the article, or the words beside the photos or the video.
    body: Mapped[str] = mapped_column(sa.Text, default="")
    media_asset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("media_asset.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[WorkStatus] = mapped_column(
        enum_column(WorkStatus, "work_status", length=16), default=WorkStatus.REVIEW
    )
    review_comment: Mapped[str] = mapped_column(sa.String(1000), default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_featured: Mapped[bool] = mapped_column(default=False)
    like_count: Mapped[int] = mapped_column(default=0)

    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    photos: Mapped[list["WorkPhoto"]] = relationship(
        back_populates="work", order_by="WorkPhoto.position", cascade="all, delete-orphan"
    )

    @property
    def kind_label(self) -> str:
        return WORK_KIND_LABELS[self.kind]

    @property
    def status_label(self) -> str:
        return WORK_STATUS_LABELS[self.status]


class WorkPhoto(db.Model):
    __tablename__ = "work_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(sa.ForeignKey("work.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(32))

    work: Mapped[Work] = relationship(back_populates="photos")


class WorkLike(db.Model):
    """One member's like (the primary key: once per member)."""

    __tablename__ = "work_like"

    work_id: Mapped[int] = mapped_column(sa.ForeignKey("work.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class WorkComment(db.Model):
    __tablename__ = "work_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    work_id: Mapped[int] = mapped_column(sa.ForeignKey("work.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.String(COMMENT_MAX))
    #: Hidden by a moderator: shown to nobody but moderators.
    is_hidden: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User", lazy="joined")


class WorkCommentReport(db.Model):
    """A member's report of a comment, open until a moderator hides the comment or dismisses it."""

    __tablename__ = "work_comment_report"
    __table_args__ = (
        sa.UniqueConstraint("comment_id", "reporter_id", name="uq_work_comment_report_comment_reporter"),
        sa.Index("ix_work_comment_report_open", "resolved_at", "comment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("work_comment.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(REPORT_REASON_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: ``hidden`` or ``dismissed``.
    resolution: Mapped[str | None] = mapped_column(sa.String(16))

    reporter = relationship("User", foreign_keys=[reporter_id], lazy="joined")
