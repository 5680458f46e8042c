"""Articles with their revisions, categories, tags, attachments.

An article has a *working copy* (``title``, ``summary``, ``body``: what its editors see, always the
latest revision) and a *live* revision (``live_revision_number``: what readers see, the last approved
one). A trainer's edit to a published article goes to review while readers keep the approved text.
"""

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from app.core.clock import utcnow
from app.core.models import TimestampMixin
from app.core.types import UTCDateTime, enum_column
from app.extensions import db


# Alike in shape to quiz's ReviewPolicy, kept apart: own values and Chinese labels.
class ArticleStatus(enum.StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    PUBLISHED = "published"


STATUS_LABELS = {
    ArticleStatus.DRAFT: _l("草稿"),
    ArticleStatus.REVIEW: _l("待审核"),
    ArticleStatus.PUBLISHED: _l("已发布"),
}

#: Same byte-wise comparison as the branch tree (see :data:`app.org.models.PATH_TYPE`).
PATH_TYPE = sa.String(255).with_variant(sa.String(255, collation="C"), "postgresql")

TITLE_MAX = 200
SUMMARY_MAX = 300
BODY_MAX = 200_000
TAG_MAX = 30
TAGS_PER_ITEM = 10


class Tag(db.Model):
    """A topic label shared by articles and questions (Q&A experts are designated by tag)."""

    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(TAG_MAX), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __str__(self) -> str:
        return self.name


article_tag = sa.Table(
    "article_tag",
    db.metadata,
    sa.Column("article_id", sa.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ArticleCategory(db.Model):
    """A node of the category tree (e.g. 党章党规 → 党内法规)."""

    __tablename__ = "article_category"
    __table_args__ = (sa.UniqueConstraint("parent_id", "name", name="uq_article_category_parent_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("article_category.id", ondelete="RESTRICT"), index=True
    )
    #: Materialised path of ids, ``/3/7/``; "this category and below" is one range query.
    path: Mapped[str] = mapped_column(PATH_TYPE, unique=True, default="")
    depth: Mapped[int] = mapped_column(default=0)
    sort_order: Mapped[int] = mapped_column(default=0)

    parent: Mapped["ArticleCategory | None"] = relationship(remote_side=[id])

    def __str__(self) -> str:
        return self.name


class ArticleRevision(db.Model):
    """One saved state of an article's text. Never changed; a restore writes a new revision."""

    __tablename__ = "article_revision"
    __table_args__ = (sa.UniqueConstraint("article_id", "number", name="uq_article_revision_article_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("article.id", ondelete="CASCADE"))
    #: 1, 2, 3 … within the article.
    number: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    summary: Mapped[str] = mapped_column(sa.String(SUMMARY_MAX), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    editor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Why this revision was made ("恢复到第 2 版", an editor's note).
    note: Mapped[str] = mapped_column(sa.String(200), default="")

    editor = relationship("User", lazy="joined")


class Article(TimestampMixin, db.Model):
    __tablename__ = "article"
    __table_args__ = (sa.Index("ix_article_live_published", "live_revision_number", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    summary: Mapped[str] = mapped_column(sa.String(SUMMARY_MAX), default="")
    body: Mapped[str] = mapped_column(sa.Text)
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("article_category.id", ondelete="SET NULL"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    status: Mapped[ArticleStatus] = mapped_column(
        enum_column(ArticleStatus, "article_status", length=16),
        default=ArticleStatus.DRAFT,
        index=True,
    )
    #: Number of the revision readers see (the last approved one); ``None``: never published.
    live_revision_number: Mapped[int | None]
    #: Number of the latest revision (the working copy).
    revision_number: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: The reviewer's reason when sending an article back to its author.
    review_note: Mapped[str] = mapped_column(sa.String(500), default="")
    #: File name of the cover image under the knowledge-base upload folder.
    cover_file: Mapped[str | None] = mapped_column(sa.String(100))
    view_count: Mapped[int] = mapped_column(default=0)

    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    category: Mapped[ArticleCategory | None] = relationship(lazy="joined")
    tags: Mapped[list[Tag]] = relationship(secondary=article_tag, lazy="selectin", order_by=Tag.name)
    #: The revision readers see.
    live: Mapped[ArticleRevision | None] = relationship(
        primaryjoin=lambda: sa.and_(
            ArticleRevision.article_id == Article.id,
            ArticleRevision.number == foreign(Article.live_revision_number),
        ),
        viewonly=True,
        uselist=False,
        lazy="joined",
    )
    attachments: Mapped[list["ArticleAttachment"]] = relationship(
        back_populates="article",
        cascade="all, delete-orphan",
        order_by="ArticleAttachment.id",
        lazy="selectin",
    )

    # __repr__ and status_label alike in shape to MediaAsset's and Notice's: one line each, no mixin.
    def __repr__(self) -> str:
        return f"<Article {self.id} {self.status}>"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_live(self) -> bool:
        return self.live_revision_number is not None

    @property
    def has_pending_changes(self) -> bool:
        return self.is_live and self.live_revision_number != self.revision_number


# Columns alike in shape to accounts' ApiToken, kept apart: different tables.
class ArticleAttachment(db.Model):
    """A PDF attached to an article; served as a download, to those who may read the article."""

    __tablename__ = "article_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("article.id", ondelete="CASCADE"), index=True)
    #: The name the uploader's file had (shown and used as the download name only).
    filename: Mapped[str] = mapped_column(sa.String(255))
    #: Random name on disk under the knowledge-base upload folder.
    stored_name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    article: Mapped[Article] = relationship(back_populates="attachments")


class ArticleReading(db.Model):
    """A member's reading of one article, measured by the server from the page's heartbeats (see
    :mod:`app.kb.reading`): visible seconds by the server's clock, whether the end was reached, and
    when the reading first counted. The playback session that is measuring is the last one seen."""

    __tablename__ = "article_reading"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[int] = mapped_column(sa.ForeignKey("article.id", ondelete="CASCADE"), primary_key=True)
    session_key: Mapped[str] = mapped_column(sa.String(64))
    last_seq: Mapped[int] = mapped_column(default=-1)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The page was visible (and the member reading) at the last heartbeat: the stretch until the
    #: next one may count.
    was_visible: Mapped[bool] = mapped_column(default=False)
    visible_seconds: Mapped[float] = mapped_column(default=0.0)
    reached_end: Mapped[bool] = mapped_column(default=False)
    #: When the reading first met the time on page and the end: it counts once.
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
