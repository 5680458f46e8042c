"""Notices (党务公开) with their read receipts, in-app notifications, and the worker heartbeat."""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.jsi18n import N_
from app.core.models import TimestampMixin
from app.core.types import UTCDateTime, enum_column
from app.extensions import db


# Alike in shape to media_pipeline's AssetStatus, kept apart: own values and Chinese labels.
class NoticeKind(enum.StrEnum):
    NOTICE = "notice"
    DECISION = "decision"
    ACTIVITY = "activity"
    NEWS = "news"


#: Chinese names (N_ marks them for translation): what the search index and stored notifications
#: carry, written once for every reader.
KIND_NAMES = {
    NoticeKind.NOTICE: N_("通知公告"),
    NoticeKind.DECISION: N_("决议决定"),
    NoticeKind.ACTIVITY: N_("活动安排"),
    NoticeKind.NEWS: N_("新闻动态"),
}
#: The same in the reader's language (evaluated when shown).
KIND_LABELS = {key: _l(name) for key, name in KIND_NAMES.items()}

NOTICE_TITLE_MAX = 200
NOTICE_BODY_MAX = 50_000


class Notice(TimestampMixin, db.Model):
    """A notice, decision, activity arrangement or news item, for the whole company or one subtree."""

    __tablename__ = "notice"
    __table_args__ = (sa.Index("ix_notice_branch_published", "branch_id", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[NoticeKind] = mapped_column(enum_column(NoticeKind, "notice_kind", length=16))
    title: Mapped[str] = mapped_column(sa.String(NOTICE_TITLE_MAX))
    #: Markdown, rendered through :func:`app.core.text.render_markdown`.
    body: Mapped[str] = mapped_column(sa.Text)
    #: The audience: this branch and everything under it; ``None`` for the whole company. A branch
    #: that is deleted takes its notices with it (they must never widen to the whole company).
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: Readers must confirm with a button (回执); coordinators see who has not.
    requires_receipt: Mapped[bool] = mapped_column(default=False)
    #: ``None`` while a draft.
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: For activity arrangements: when and where.
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    location: Mapped[str] = mapped_column(sa.String(200), default="")

    branch = relationship("Branch", lazy="joined")
    author = relationship("User", lazy="joined")

    def __repr__(self) -> str:
        return f"<Notice {self.id}>"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def kind_name(self) -> str:
        """The kind in Chinese, for what is written once for every reader (search tags, notifications)."""
        return KIND_NAMES[self.kind]

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class NoticeRead(db.Model):
    """A reader's receipt: written when they open a notice, or when they confirm one that asks for it."""

    __tablename__ = "notice_read"

    notice_id: Mapped[int] = mapped_column(sa.ForeignKey("notice.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(db.Model):
    """One in-app notification for one user, asked for by any domain through ``notification_requested``."""

    __tablename__ = "notification"
    __table_args__ = (sa.Index("ix_notification_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    #: A short dotted string such as ``qa.answer`` or ``course.reminder``.
    kind: Mapped[str] = mapped_column(sa.String(64))
    #: The domain that asked for it (the signal's sender).
    sender: Mapped[str] = mapped_column(sa.String(32), default="")
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: Where clicking it leads: a path inside the site, or ``None``.
    url: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class WorkerHeartbeat(db.Model):
    """When each Celery worker last ran the periodic heartbeat task (the admin's "worker alive")."""

    __tablename__ = "worker_heartbeat"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The worker's node name, e.g. ``celery@web1``.
    worker: Mapped[str] = mapped_column(sa.String(200), unique=True)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IntegrityStatus(db.Model):
    """The last verification of one tamper-evident ledger (``records``, ``points``): the nightly task
    writes it, the admin's home page shows an alert while ``ok`` is false."""

    __tablename__ = "integrity_status"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    ok: Mapped[bool] = mapped_column(default=True)
    problem_count: Mapped[int] = mapped_column(default=0)
    #: The first problems found, one per line, as the verification named them.
    problems: Mapped[str] = mapped_column(sa.Text, default="")
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the current run of failures began (``None`` while it passes).
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
