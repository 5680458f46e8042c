"""Questions, answers, comments, votes, reports, and the trainers designated as experts per tag."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.models import TimestampMixin
from app.core.types import UTCDateTime, enum_column
from app.extensions import db
from app.kb.models import Tag

QUESTION_TITLE_MAX = 200
QUESTION_BODY_MAX = 20_000
ANSWER_BODY_MAX = 20_000
COMMENT_BODY_MAX = 1_000
REPORT_REASON_MAX = 500

question_tag = sa.Table(
    "question_tag",
    db.metadata,
    sa.Column("question_id", sa.ForeignKey("question.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)

#: Trainers designated (by an admin) as experts for a tag: they are notified of new questions in it.
expert_tag = sa.Table(
    "qa_expert_tag",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Question(TimestampMixin, db.Model):
    __tablename__ = "question"
    __table_args__ = (sa.Index("ix_question_hidden_activity", "is_hidden", "last_activity_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(QUESTION_TITLE_MAX))
    #: Markdown.
    body: Mapped[str] = mapped_column(sa.Text, default="")
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: Hidden from peers: only the asker, trainers (who answer) and admins see it.
    is_private: Mapped[bool] = mapped_column(default=False)
    #: True once the asker accepted an answer.
    is_solved: Mapped[bool] = mapped_column(default=False)
    #: Hidden by a moderator (kept, with its audit trail, and restorable).
    is_hidden: Mapped[bool] = mapped_column(default=False)
    #: Visible answers, kept in step by the services (lists show it without counting).
    answer_count: Mapped[int] = mapped_column(default=0)
    view_count: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The knowledge-base article (FAQ) this question was turned into.
    article_id: Mapped[int | None] = mapped_column(sa.ForeignKey("article.id", ondelete="SET NULL"))

    author = relationship("User", lazy="joined")
    tags: Mapped[list[Tag]] = relationship(secondary=question_tag, lazy="selectin", order_by=Tag.name)

    def __repr__(self) -> str:
        return f"<Question {self.id}>"


class Answer(TimestampMixin, db.Model):
    __tablename__ = "answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    is_accepted: Mapped[bool] = mapped_column(default=False)
    #: Sum of the votes, changed by the same statement that records a vote.
    score: Mapped[int] = mapped_column(default=0)
    is_hidden: Mapped[bool] = mapped_column(default=False)

    author = relationship("User", lazy="joined")
    question: Mapped[Question] = relationship()


class Comment(db.Model):
    """A short remark on a question (``answer_id`` empty) or on one of its answers."""

    __tablename__ = "qa_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("question.id", ondelete="CASCADE"), index=True)
    answer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("answer.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.String(COMMENT_BODY_MAX))
    is_hidden: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User", lazy="joined")


class AnswerVote(db.Model):
    """One vote per user and answer (the primary key makes a second one impossible)."""

    __tablename__ = "answer_vote"

    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answer.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    #: +1 or -1.
    value: Mapped[int] = mapped_column(sa.SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportTarget(enum.StrEnum):
    QUESTION = "question"
    ANSWER = "answer"
    COMMENT = "comment"


class Report(db.Model):
    """A user's report of a question, answer or comment, until a moderator resolves it."""

    __tablename__ = "qa_report"
    __table_args__ = (
        sa.UniqueConstraint("target_type", "target_id", "reporter_id", name="uq_qa_report_target_reporter"),
        sa.Index("ix_qa_report_open", "resolved_at", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    target_type: Mapped[ReportTarget] = mapped_column(
        enum_column(ReportTarget, "qa_report_target", length=16)
    )
    target_id: Mapped[int]
    reporter_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(REPORT_REASON_MAX))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: ``hidden`` (the content was hidden) or ``dismissed`` (nothing wrong found).
    resolution: Mapped[str | None] = mapped_column(sa.String(16))

    reporter = relationship("User", foreign_keys=[reporter_id], lazy="joined")
