"""Question bank, quizzes, attempts, contests, duels and the points (积分) ledger."""

import enum
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.jsi18n import N_
from app.core.models import TimestampMixin
from app.core.types import UTCDateTime, enum_column
from app.extensions import db


# Enum + label dict, alike in shape to accounts' MemberCategory, portal's NoticeKind and
# media_pipeline's AssetStatus, kept apart: each is one column's own values and Chinese labels.
class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    FILL = "fill"


#: Chinese names (N_ marks them for translation): also the import and export files' vocabulary,
#: since question-bank spreadsheets are written in Chinese whatever the page's language.
KIND_NAMES = {
    QuestionKind.SINGLE: N_("单选题"),
    QuestionKind.MULTIPLE: N_("多选题"),
    QuestionKind.TRUE_FALSE: N_("判断题"),
    QuestionKind.FILL: N_("填空题"),
}
DIFFICULTY_NAMES = {1: N_("易"), 2: N_("较易"), 3: N_("中"), 4: N_("较难"), 5: N_("难")}
#: The same in the reader's language (evaluated when shown).
KIND_LABELS = {key: _l(name) for key, name in KIND_NAMES.items()}
DIFFICULTY_LABELS = {key: _l(name) for key, name in DIFFICULTY_NAMES.items()}
OPTION_KEYS = "ABCDEFGH"


class Question(TimestampMixin, db.Model):
    """One question of the bank. Never deleted once answered: retiring hides it from new draws."""

    __tablename__ = "quiz_question"
    __table_args__ = (sa.Index("ix_quiz_question_draw", "is_retired", "category", "difficulty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind, "question_kind"))
    stem: Mapped[str] = mapped_column(sa.Text)
    #: Option texts in key order (A, B, ...); empty for true/false and fill-in questions.
    options: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Canonical answer: "B" (single), ["A", "C"] (multiple), true/false, or accepted texts (fill).
    answer: Mapped[object] = mapped_column(sa.JSON)
    #: 解析, shown after the question is answered.
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    #: 1 (易) to 5 (难).
    difficulty: Mapped[int] = mapped_column(default=3)
    #: Comma-separated tags, as typed by trainers.
    tags: Mapped[str] = mapped_column(sa.String(200), default="")
    category: Mapped[str] = mapped_column(sa.String(64), default="", index=True)
    #: Where the question comes from (a document, a textbook chapter, an import file).
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    #: SHA-256 of the normalised kind, stem and options: the same question is never stored twice.
    fingerprint: Mapped[str] = mapped_column(sa.String(64), unique=True)
    is_retired: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: The trainer who may edit, retire and export it (and grant co-editing of its category);
    #: None (questions of unknown origin): admins only.
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)

    # __repr__ and the label properties alike in shape to Article's, Notice's and MediaAsset's: one
    # line each, no mixin.
    def __repr__(self) -> str:
        return f"<Question {self.id} {self.kind}>"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def difficulty_label(self) -> str:
        return DIFFICULTY_LABELS.get(self.difficulty, str(self.difficulty))

    @property
    def keyed_options(self) -> list[tuple[str, str]]:
        return list(zip(OPTION_KEYS, self.options or []))

    @property
    def tag_list(self) -> list[str]:
        return [t for t in (self.tags or "").split(",") if t]


class QuestionGrant(db.Model):
    """Co-editing: ``grantee`` may edit, retire and export ``owner``'s questions in ``category``."""

    __tablename__ = "quiz_question_grant"
    __table_args__ = (
        sa.UniqueConstraint("owner_id", "category", "grantee_id", name="uq_quiz_question_grant"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    #: A question-bank category (``Question.category``; "" for questions without one).
    category: Mapped[str] = mapped_column(sa.String(64))
    grantee_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner = relationship("User", foreign_keys=[owner_id], lazy="joined")
    grantee = relationship("User", foreign_keys=[grantee_id], lazy="joined")


class QuizPurpose(enum.StrEnum):
    LESSON = "lesson"
    EXAM = "exam"
    PRACTICE = "practice"


PURPOSE_LABELS = {
    QuizPurpose.LESSON: _l("课程测验"),
    QuizPurpose.EXAM: _l("考试"),
    QuizPurpose.PRACTICE: _l("练习"),
}


class ReviewPolicy(enum.StrEnum):
    AFTER_SUBMIT = "after_submit"
    AFTER_CLOSE = "after_close"
    NEVER = "never"


REVIEW_LABELS = {
    ReviewPolicy.AFTER_SUBMIT: _l("交卷后可查看解析"),
    ReviewPolicy.AFTER_CLOSE: _l("考试结束后可查看解析"),
    ReviewPolicy.NEVER: _l("不公布答案"),
}


class Quiz(TimestampMixin, db.Model):
    """A lesson quiz or an exam: fixed questions or a random draw, graded on submission."""

    __tablename__ = "quiz"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    purpose: Mapped[QuizPurpose] = mapped_column(
        enum_column(QuizPurpose, "quiz_purpose"), default=QuizPurpose.LESSON
    )
    #: Random draw settings; when ``draw_count`` is set the fixed question list is not used.
    draw_count: Mapped[int | None]
    draw_category: Mapped[str | None] = mapped_column(sa.String(64))
    draw_difficulty: Mapped[int | None]
    #: Seconds from the start of an attempt; None for no limit. Enforced by the server.
    time_limit_seconds: Mapped[int | None]
    #: Attempts each member may make; None for unlimited.
    max_attempts: Mapped[int | None]
    #: Percentage of correct answers needed to pass.
    pass_mark: Mapped[int] = mapped_column(default=60)
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    review: Mapped[ReviewPolicy] = mapped_column(
        enum_column(ReviewPolicy, "review_policy"), default=ReviewPolicy.AFTER_SUBMIT
    )
    #: Exam window; attempts cannot start before ``opens_at`` and end at ``closes_at`` at the latest.
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_published: Mapped[bool] = mapped_column(default=False)
    #: Exams: hand the paper in on the server when this many switches away arrive (0: never).
    switch_limit: Mapped[int] = mapped_column(default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user.id", ondelete="SET NULL"), index=True
    )

    items: Mapped[list["QuizQuestion"]] = relationship(
        back_populates="quiz", cascade="all, delete-orphan", order_by="QuizQuestion.position"
    )

    # __repr__ and the label properties alike in shape to Question's and Notice's: one line each.
    def __repr__(self) -> str:
        return f"<Quiz {self.id} {self.title}>"

    @property
    def purpose_label(self) -> str:
        return PURPOSE_LABELS[self.purpose]

    @property
    def review_label(self) -> str:
        return REVIEW_LABELS[self.review]

    @property
    def is_random(self) -> bool:
        return bool(self.draw_count)

    def can_edit(self, user) -> bool:
        return user.is_admin or (user.has_role("trainer") and self.created_by_id == user.id)


class QuizQuestion(db.Model):
    """A question of a fixed quiz, in its position."""

    __tablename__ = "quiz_quiz_question"

    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quiz_question.id", ondelete="RESTRICT"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)

    quiz: Mapped[Quiz] = relationship(back_populates="items")
    question: Mapped[Question] = relationship(lazy="joined")


class Contest(TimestampMixin, db.Model):
    """A timed contest (竞赛): an open window, a per-member draw, ranking by score then time."""

    __tablename__ = "quiz_contest"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    question_count: Mapped[int] = mapped_column(default=10)
    draw_category: Mapped[str | None] = mapped_column(sa.String(64))
    draw_difficulty: Mapped[int | None]
    #: Seconds each member has from their start (never past ``closes_at``).
    time_limit_seconds: Mapped[int] = mapped_column(default=300)
    #: Who may take part: this branch and everything under it; None for the whole organisation.
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    branch = relationship("Branch", lazy="joined")

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at

    def is_closed(self, now: datetime) -> bool:
        return now >= self.closes_at


class AttemptKind(enum.StrEnum):
    QUIZ = "quiz"
    DAILY = "daily"
    CHALLENGE = "challenge"
    CONTEST = "contest"
    DUEL = "duel"


class Attempt(db.Model):
    """One member's go at a quiz, a daily quiz, a challenge, a contest or a duel."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "once_key", name="uq_quiz_attempt_user_once"),
        sa.Index("ix_quiz_attempt_quiz", "quiz_id", "user_id"),
        sa.Index("ix_quiz_attempt_contest_rank", "contest_id", "score", "duration_ms"),
        sa.Index("ix_quiz_attempt_user_kind", "user_id", "kind", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[AttemptKind] = mapped_column(enum_column(AttemptKind, "attempt_kind"))
    #: What a member may do only once: ``daily:2026-05-01``, ``contest:7``, ``quiz:3:2`` (3rd quiz's
    #: 2nd attempt), ``duel:5``. The unique constraint makes a double click start one attempt.
    once_key: Mapped[str | None] = mapped_column(sa.String(64))
    quiz_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quiz.id", ondelete="CASCADE"))
    contest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quiz_contest.id", ondelete="CASCADE"))
    duel_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quiz_duel.id", ondelete="CASCADE"), index=True)
    #: The member's branch when the attempt started: branch statistics stay put if they move.
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id", ondelete="SET NULL"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Server deadline of the whole attempt; answers after it are refused.
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: submitted | timeout | wrong_answer | left | closed | switches
    end_reason: Mapped[str | None] = mapped_column(sa.String(16))
    question_count: Mapped[int] = mapped_column(default=0)
    answered_count: Mapped[int] = mapped_column(default=0)
    correct_count: Mapped[int] = mapped_column(default=0)
    #: Percentage for quizzes, correct answers for contests, the streak for challenges.
    score: Mapped[int] = mapped_column(default=0)
    #: Server-measured milliseconds from start to finish; the full time limit until finished.
    duration_ms: Mapped[int | None]
    passed: Mapped[bool | None]
    points: Mapped[int] = mapped_column(default=0)
    #: False for a contest played by an author (or co-editor) of questions in its draw: they may
    #: play, but are not ranked and earn no points from it.
    is_ranked: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: Exams: times the member left the paper (server-counted, see :mod:`app.quiz.integrity`).
    switch_count: Mapped[int] = mapped_column(default=0, server_default="0")
    last_switch_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", lazy="joined")
    #: The branch at the start (see ``branch_id``), for contest rankings.
    branch = relationship("Branch", lazy="joined")
    items: Mapped[list["AttemptItem"]] = relationship(
        back_populates="attempt", cascade="all, delete-orphan", order_by="AttemptItem.position"
    )

    def __repr__(self) -> str:
        return f"<Attempt {self.id} {self.kind} user={self.user_id}>"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    def is_overdue(self, now: datetime, grace_seconds: float = 0) -> bool:
        return self.deadline_at is not None and now > self.deadline_at + timedelta(seconds=grace_seconds)


class AttemptItem(db.Model):
    """One question of an attempt: what was shown, when, the member's answer and its grade."""

    __tablename__ = "quiz_attempt_item"
    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "position", name="uq_quiz_attempt_item_position"),
        sa.UniqueConstraint("attempt_id", "question_id", name="uq_quiz_attempt_item_question"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempt.id", ondelete="CASCADE"))
    position: Mapped[int]
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("quiz_question.id", ondelete="RESTRICT"), index=True
    )
    #: Original option indexes in the order shown: [2, 0, 1] shows the original C as A.
    option_order: Mapped[list | None] = mapped_column(sa.JSON)
    #: When the question was sent (challenges and duels send one at a time); None = not yet shown.
    presented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Per-question deadline (challenge time-out, duel round end).
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The answer in original option keys (same shape as :attr:`Question.answer`, text for fill-in).
    response: Mapped[object | None] = mapped_column(sa.JSON)
    is_correct: Mapped[bool | None]
    points: Mapped[int] = mapped_column(default=0)

    attempt: Mapped[Attempt] = relationship(back_populates="items")
    question: Mapped[Question] = relationship(lazy="joined")


class ExamEvent(db.Model):
    """Something the exam page reported (left the page, copied, left full screen): the server's
    receive time is the one shown and trusted; the client's is kept beside it."""

    __tablename__ = "quiz_exam_event"
    __table_args__ = (sa.Index("ix_quiz_exam_event_attempt", "attempt_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempt.id", ondelete="CASCADE"))
    #: blur | hidden | copy | paste | fullscreen_exit
    kind: Mapped[str] = mapped_column(sa.String(16))
    client_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Whether the server counted it as a switch away (a blur and a hidden page within a few
    #: seconds are one switch).
    counted: Mapped[bool] = mapped_column(default=False)


class DuelStatus(enum.StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class Duel(TimestampMixin, db.Model):
    """A duel (双人对战) or a four-player room: the same questions, round by round, for everyone."""

    __tablename__ = "quiz_duel"
    __table_args__ = (sa.Index("ix_quiz_duel_open", "status", "is_open", "capacity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[DuelStatus] = mapped_column(
        enum_column(DuelStatus, "duel_status"), default=DuelStatus.WAITING
    )
    capacity: Mapped[int] = mapped_column(default=2)
    #: Open rooms are matched with anyone looking for an opponent; invitations are not.
    is_open: Mapped[bool] = mapped_column(default=True)
    #: The code in an invitation link.
    invite_code: Mapped[str | None] = mapped_column(sa.String(16), unique=True)
    host_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    question_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Option order shown to every player, per question (the same screen for everyone).
    option_orders: Mapped[list] = mapped_column(sa.JSON, default=list)
    round_seconds: Mapped[int] = mapped_column(default=20)
    #: Index of the question being played; equals the number of questions once finished.
    current_round: Mapped[int] = mapped_column(default=0)
    round_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: None after a draw (or a cancelled room).
    winner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    players: Mapped[list["DuelPlayer"]] = relationship(
        back_populates="duel", cascade="all, delete-orphan", order_by="DuelPlayer.seat", lazy="selectin"
    )
    winner = relationship("User", foreign_keys=[winner_id], lazy="joined")


# Alike in shape to AttemptItem (table, unique pairs, keys), kept apart: different rows.
class DuelPlayer(db.Model):
    __tablename__ = "quiz_duel_player"
    __table_args__ = (
        sa.UniqueConstraint("duel_id", "seat", name="uq_quiz_duel_player_seat"),
        sa.UniqueConstraint("duel_id", "user_id", name="uq_quiz_duel_player_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    duel_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_duel.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: 0 for the host; the unique seat makes a full room refuse a late joiner even under a race.
    seat: Mapped[int]
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quiz_attempt.id", ondelete="SET NULL"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Last poll or answer; a player silent for QUIZ_DUEL_DROP_SECONDS has dropped out.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set when the player quits or drops; they can no longer win.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[int] = mapped_column(default=0)
    #: Server-measured milliseconds spent answering; breaks ties in score.
    total_ms: Mapped[int] = mapped_column(default=0)
    rank: Mapped[int | None]

    duel: Mapped[Duel] = relationship(back_populates="players")
    user = relationship("User", lazy="joined")
    attempt: Mapped[Attempt | None] = relationship()


class PointsEntry(db.Model):
    """One line of the append-only points (积分) ledger. Never updated or deleted.

    ``(user, action, ref)`` is unique: awarding the same thing twice credits it once, even when two
    requests race (the loser's insert fails inside a savepoint). Each member's entries form a hash
    chain like the 学时 ledger's (see :mod:`app.quiz.points_chain`): ``flask points verify`` names
    an entry changed, inserted or deleted with plain SQL.
    """

    __tablename__ = "points_entry"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "action", "ref", name="uq_points_entry_award"),
        sa.Index("ix_points_entry_user_day", "user_id", "day"),
        sa.Index("ix_points_entry_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    #: What earned the points: ``daily_quiz``, ``challenge``, ``contest``, ``duel``, ``lesson``, ...
    action: Mapped[str] = mapped_column(sa.String(32))
    #: What exactly was rewarded (``attempt:12:q:5``); one award per user, action and ref.
    ref: Mapped[str] = mapped_column(sa.String(64))
    #: Points credited; 0 when the action's daily cap was already reached.
    points: Mapped[int]
    #: The local (Asia/Shanghai) day the points count towards, for daily caps.
    day: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Position of this entry in the member's chain, from 1.
    chain_index: Mapped[int]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class PointsHead(db.Model):
    """The last entry of each member's points chain: detects a deleted tail and serialises awards
    (locked while an award is appended, like the 学时 ledger's head)."""

    __tablename__ = "points_head"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    last_entry_id: Mapped[int | None]
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    length: Mapped[int] = mapped_column(default=0)


class PointsDay(db.Model):
    """Points credited per member, day and action: the row locked while a cap is checked."""

    __tablename__ = "points_day"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    total: Mapped[int] = mapped_column(default=0)
    #: Units carried towards the next point: seconds of credited media time for ``media``.
    carry: Mapped[int] = mapped_column(default=0)
