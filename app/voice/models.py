"""Surveys (党员调查) and suggestions (合理建议).

Anonymity lives in the schema, not in the pages: an anonymous survey's :class:`SurveyResponse` has
no respondent, no time and a random id, and the only trace of a member is the separate
:class:`SurveyParticipation` marker ("has answered"), which holds no answer. Nothing joins the two.
"""

# Tables alike in shape to other domains' (id, owner, status with labels, link tables of two keys,
# timestamps), kept apart: each holds its own rows and constraints.

import enum
import secrets
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.models import TimestampMixin
from app.core.types import UTCDateTime, enum_column
from app.extensions import db

TITLE_MAX = 200
TEXT_MAX = 2000
BODY_MAX = 10_000
OPTION_MAX = 200
OPTIONS_MAX = 20
QUESTIONS_MAX = 100
RATING_MAX = 5


# Enums with their label dicts, alike in shape to each other and to other domains' enums, kept
# apart: each is one column's own values and labels.
class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    RATING = "rating"
    TEXT = "text"
    MATRIX = "matrix"


QUESTION_KIND_LABELS = {
    QuestionKind.SINGLE: "单选",
    QuestionKind.MULTIPLE: "多选",
    QuestionKind.RATING: "评分（1–5）",
    QuestionKind.TEXT: "文字回答",
    QuestionKind.MATRIX: "矩阵单选",
}


class Survey(TimestampMixin, db.Model):
    __tablename__ = "survey"
    __table_args__ = (sa.Index("ix_survey_published_closes", "is_published", "closes_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: The subtree whose members are asked (with :class:`SurveyInvitee` rows: chosen members too).
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id", ondelete="SET NULL"), index=True)
    is_anonymous: Mapped[bool] = mapped_column(default=True)
    #: Below this many responses an anonymous survey's results show no breakdown.
    min_group: Mapped[int] = mapped_column(default=5)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    is_published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the "closing soon" reminder went out (it goes once).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )

    branch = relationship("Branch", lazy="joined")
    created_by = relationship("User", lazy="joined")
    questions: Mapped[list["SurveyQuestion"]] = relationship(
        back_populates="survey",
        order_by="SurveyQuestion.position, SurveyQuestion.id",
        cascade="all, delete-orphan",
    )

    def __str__(self) -> str:
        return self.title

    def is_open(self, now: datetime) -> bool:
        return self.is_published and self.opens_at <= now < self.closes_at

    def is_closed(self, now: datetime) -> bool:
        return now >= self.closes_at


class SurveyQuestion(db.Model):
    __tablename__ = "survey_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    #: The heading of the section this question opens or continues ("" for none).
    section: Mapped[str] = mapped_column(sa.String(100), default="")
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind, "survey_question_kind", length=16))
    text: Mapped[str] = mapped_column(sa.String(500))
    #: Choices (single, multiple) or a matrix's columns, in order; answers hold their index.
    options: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: A matrix's rows (each answered with one column).
    rows: Mapped[list] = mapped_column(sa.JSON, default=list)
    is_required: Mapped[bool] = mapped_column(default=True)

    survey: Mapped[Survey] = relationship(back_populates="questions")

    @property
    def kind_label(self) -> str:
        return QUESTION_KIND_LABELS[self.kind]


class SurveyInvitee(db.Model):
    """A member chosen by name, beside (or instead of) the survey's subtree."""

    __tablename__ = "survey_invitee"

    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class SurveyDraft(db.Model):
    """A member's answers saved before submitting; deleted when the response is submitted."""

    __tablename__ = "survey_draft"

    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SurveyParticipation(db.Model):
    """The "has answered" marker: one per member and survey (the primary key makes a second
    response impossible, even from two requests at once). It holds no answer."""

    __tablename__ = "survey_participation"

    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def random_response_id() -> str:
    return secrets.token_hex(16)


class SurveyResponse(db.Model):
    """One submitted questionnaire. Anonymous: no respondent, no time, and a random id (a sequence
    or a timestamp would line it up with the participation markers). ``WITHOUT ROWID`` on SQLite, so
    rows sit in (random) key order and no hidden row number remembers the order they came in."""

    __tablename__ = "survey_response"
    __table_args__ = ({"sqlite_with_rowid": False},)

    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=random_response_id)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id", ondelete="CASCADE"), index=True)
    #: Named surveys only; always NULL for an anonymous one.
    respondent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: ``{question id: value}``: an option index, a list of them, a rating, text, or ``{row: column}``.
    answers: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    respondent = relationship("User", lazy="joined")


# --- suggestions ----------------------------------------------------------------------------------


class SuggestionStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    REPLIED = "replied"
    CLOSED = "closed"
    REJECTED = "rejected"


SUGGESTION_STATUS_LABELS = {
    SuggestionStatus.SUBMITTED: "已提交",
    SuggestionStatus.ACCEPTED: "受理",
    SuggestionStatus.IN_PROGRESS: "办理中",
    SuggestionStatus.REPLIED: "已答复",
    SuggestionStatus.CLOSED: "已关闭",
    SuggestionStatus.REJECTED: "不予受理",
}

#: States in which a suggestion waits for its handlers.
OPEN_STATES = (SuggestionStatus.SUBMITTED, SuggestionStatus.ACCEPTED, SuggestionStatus.IN_PROGRESS)


class SuggestionTarget(enum.StrEnum):
    BRANCH = "branch"
    COMMITTEE = "committee"
    DEPARTMENT = "department"


SUGGESTION_TARGET_LABELS = {
    SuggestionTarget.BRANCH: "所在支部",
    SuggestionTarget.COMMITTEE: "公司党委",
    SuggestionTarget.DEPARTMENT: "部门",
}


class Suggestion(TimestampMixin, db.Model):
    __tablename__ = "suggestion"
    __table_args__ = (
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating"),
        sa.Index("ix_suggestion_status_waiting", "status", "waiting_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    body: Mapped[str] = mapped_column(sa.Text)
    #: Kept even when anonymous: the author is notified and rates the reply; handlers never see it.
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    #: Readable (with its reply) by the members of the target's subtree.
    is_public: Mapped[bool] = mapped_column(default=False)
    target: Mapped[SuggestionTarget] = mapped_column(
        enum_column(SuggestionTarget, "suggestion_target", length=16)
    )
    #: The branch (or committee, or department) that handles it.
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="RESTRICT"), index=True)
    status: Mapped[SuggestionStatus] = mapped_column(
        enum_column(SuggestionStatus, "suggestion_status", length=16), default=SuggestionStatus.SUBMITTED
    )
    #: The handler who accepted it (reminders go to them; before that, to every handler of the branch).
    handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    #: Since when it waits for a handler's next step (reset at each step).
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The local date of the last reminder: at most one a day.
    reminded_on: Mapped[date | None]
    reply: Mapped[str] = mapped_column(sa.Text, default="")
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reject_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    rating: Mapped[int | None]
    rating_comment: Mapped[str] = mapped_column(sa.String(500), default="")

    author = relationship("User", foreign_keys=[author_id], lazy="joined")
    handler = relationship("User", foreign_keys=[handler_id], lazy="joined")
    branch = relationship("Branch", lazy="joined")
    events: Mapped[list["SuggestionEvent"]] = relationship(
        back_populates="suggestion", order_by="SuggestionEvent.id", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.title

    @property
    def status_label(self) -> str:
        return SUGGESTION_STATUS_LABELS[self.status]

    @property
    def target_label(self) -> str:
        return SUGGESTION_TARGET_LABELS[self.target]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES


class SuggestionEvent(db.Model):
    """One step of a suggestion's workflow, shown to the author as its history."""

    __tablename__ = "suggestion_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(sa.ForeignKey("suggestion.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[SuggestionStatus] = mapped_column(
        enum_column(SuggestionStatus, "suggestion_event_status", length=16)
    )
    note: Mapped[str] = mapped_column(sa.String(TEXT_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    suggestion: Mapped[Suggestion] = relationship(back_populates="events")
    actor = relationship("User", lazy="joined")

    @property
    def status_label(self) -> str:
        return SUGGESTION_STATUS_LABELS[self.status]


# --- online interviews -----------------------------------------------------------------------------


class InterviewQuestionStatus(enum.StrEnum):
    WAITING = "waiting"
    PICKED = "picked"
    ANSWERED = "answered"


class Interview(TimestampMixin, db.Model):
    """An online interview (在线访谈): questions asked and voted on beforehand, answered by the guest
    during the live window, the transcript published afterwards."""

    __tablename__ = "interview"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_MAX))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: The guest's account (who answers) and how the guest is introduced.
    guest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    guest_title: Mapped[str] = mapped_column(sa.String(100), default="")
    moderator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    transcript_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    guest = relationship("User", foreign_keys=[guest_id], lazy="joined")
    moderator = relationship("User", foreign_keys=[moderator_id], lazy="joined")

    def phase(self, now: datetime) -> str:
        """``before``, ``live`` or ``after``."""
        if now < self.starts_at:
            return "before"
        return "live" if now < self.ends_at else "after"


class InterviewQuestion(db.Model):
    __tablename__ = "interview_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    interview_id: Mapped[int] = mapped_column(sa.ForeignKey("interview.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    text: Mapped[str] = mapped_column(sa.String(500))
    votes: Mapped[int] = mapped_column(default=0)
    status: Mapped[InterviewQuestionStatus] = mapped_column(
        enum_column(InterviewQuestionStatus, "interview_question_status", length=16),
        default=InterviewQuestionStatus.WAITING,
    )
    answer: Mapped[str] = mapped_column(sa.Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User", lazy="joined")


class InterviewVote(db.Model):
    """One member's vote for a question (the primary key: once per member)."""

    __tablename__ = "interview_vote"

    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("interview_question.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )
