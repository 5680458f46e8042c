from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.types import UTCDateTime
from app.extensions import db


class PlaybackSession(db.Model):
    """One playback of one lesson in one browser tab (or app screen), identified by the client.

    A member has at most one live session: the newest takes over and older ones are superseded.
    The row keeps the last accepted heartbeat, against which the next one is judged.
    """

    __tablename__ = "playback_session"
    __table_args__ = (sa.Index("ix_playback_session_user_live", "user_id", "superseded_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The client's id for this playback (a random string the player makes when it starts).
    session_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When a newer session of the same member took over; it credits nothing after that.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seq: Mapped[int] = mapped_column(default=-1)
    #: Server time of the last accepted heartbeat.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_position: Mapped[float] = mapped_column(default=0.0)
    #: Whether the media was playing on a visible page after the last heartbeat: only then does
    #: the stretch up to the next heartbeat count.
    was_playing: Mapped[bool] = mapped_column(default=False)
    was_visible: Mapped[bool] = mapped_column(default=True)
    #: The credit budget (seconds of media): server wall time of the visible, playing stretches
    #: × the allowed rate. Media time credited by this session never exceeds it plus one tolerance,
    #: however many heartbeats arrive.
    budget_seconds: Mapped[float] = mapped_column(default=0.0)
    #: Media time this session has credited so far (counted against the budget).
    credited_seconds: Mapped[float] = mapped_column(default=0.0)
    #: Presence check (防挂机): the next challenge falls due when ``credited_seconds`` reaches this.
    #: A new session takes over what is left of the member's previous one, so reloading the page
    #: (or a script starting a fresh session every few minutes) never resets it.
    presence_due_seconds: Mapped[float | None]
    #: Challenges missed in a row (wrong or expired); past the limit the session credits nothing more.
    presence_misses: Mapped[int] = mapped_column(default=0)
    #: The challenge waiting for an answer, if any (kept here so a heartbeat needs no lookup).
    presence_open_id: Mapped[int | None]


class PresenceChallenge(db.Model):
    """One presence check (防挂机) put to a member during a playback session.

    The code is drawn in an image only: no JSON payload carries it, so a script that echoes what it
    receives cannot answer. Every challenge is kept with its outcome, for coordinators to see.
    """

    __tablename__ = "presence_challenge"
    __table_args__ = (sa.Index("ix_presence_challenge_user_issued", "user_id", "issued_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The unguessable id the player uses for the image and the answer.
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("playback_session.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    lesson_id: Mapped[int]
    #: The digits drawn in the image; never sent to the client as text.
    code: Mapped[str] = mapped_column(sa.String(8))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: passed | wrong | expired; ``None`` while open.
    outcome: Mapped[str | None] = mapped_column(sa.String(16))

    @property
    def is_open(self) -> bool:
        return self.outcome is None


class LessonProgress(db.Model):
    """What one member has really watched (or read) of one lesson, across all their sessions."""

    __tablename__ = "lesson_progress"
    __table_args__ = (sa.UniqueConstraint("user_id", "lesson_id", name="uq_lesson_progress_user_lesson"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: The lesson and its course belong to the courses domain; kept here as plain ids.
    lesson_id: Mapped[int] = mapped_column(index=True)
    course_id: Mapped[int] = mapped_column(index=True)
    #: Merged, sorted, non-overlapping ``[start, end]`` media intervals actually played, in seconds.
    intervals: Mapped[list] = mapped_column(sa.JSON, default=list)
    covered_seconds: Mapped[float] = mapped_column(default=0.0)
    duration: Mapped[float] = mapped_column(default=0.0)
    last_position: Mapped[float] = mapped_column(default=0.0)
    #: Articles and documents: the reader reached the end of the text.
    reached_end: Mapped[bool] = mapped_column(default=False)
    #: The lesson's facts as of the last heartbeat, so a later event (a passed gating quiz) can
    #: complete the lesson without asking the courses domain again.
    kind: Mapped[str] = mapped_column(sa.String(16), default="video")
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    completion_threshold: Mapped[float] = mapped_column(default=0.95)
    credit_hours: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2), default=Decimal("0"))
    gating_quiz_id: Mapped[int | None]
    quiz_passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def covered_ratio(self) -> float:
        return min(1.0, self.covered_seconds / self.duration) if self.duration > 0 else 0.0


# Columns alike in shape to kb's ArticleRevision, kept apart: different tables.
class QuizPass(db.Model):
    """A member passed a quiz (from the quiz domain's signal); gated lessons consult it."""

    __tablename__ = "quiz_pass"
    __table_args__ = (sa.UniqueConstraint("user_id", "quiz_id", name="uq_quiz_pass_user_quiz"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    quiz_id: Mapped[int]
    attempt_id: Mapped[int | None]
    passed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HoursEntry(db.Model):
    """One earned (or reversed) unit of learning hours. Append-only; chained by hash per member.

    ``hash`` covers the entry's fields and the member's previous entry's hash, so changing,
    inserting or deleting an entry breaks the chain that ``flask records verify`` walks.
    """

    __tablename__ = "hours_entry"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "source_kind", "source_ref", name="uq_hours_entry_source"),
        sa.Index("ix_hours_entry_user_year", "user_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="RESTRICT"))
    #: The calendar year (Asia/Shanghai) the hours count towards.
    year: Mapped[int]
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))
    #: lesson | class_attendance | meeting | manual | reversal
    source_kind: Mapped[str] = mapped_column(sa.String(32))
    #: What earned it, unique per member and kind: ``lesson:12``, ``class_session:3``, ``entry:40``…
    source_ref: Mapped[str] = mapped_column(sa.String(64))
    #: Course of a lesson entry, for per-course reports; ``None`` for other sources.
    course_id: Mapped[int | None] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(sa.String(200), default="")
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    occurred_on: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: For a reversal: the entry it cancels.
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hours_entry.id", ondelete="RESTRICT"))
    #: Sequence number of this entry in the member's chain, from 1.
    chain_index: Mapped[int]
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    recorded_by = relationship("User", foreign_keys=[recorded_by_id], lazy="joined")


class LedgerHead(db.Model):
    """The last entry of each member's chain: detects a deleted tail and serialises appends."""

    __tablename__ = "ledger_head"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="RESTRICT"), primary_key=True)
    last_entry_id: Mapped[int | None]
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    length: Mapped[int] = mapped_column(default=0)


class HoursTotal(db.Model):
    """A member's hours in one year: the sum of their entries of that year, kept by
    ``append_entry`` (under the member's ledger head lock) so that reports over tens of thousands
    of members read one row each instead of summing the ledger. ``flask records verify`` checks
    every total against its entries."""

    __tablename__ = "hours_total"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="RESTRICT"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(10, 2), default=Decimal("0"))


class XapiStatement(db.Model):
    """An xAPI statement for each completion, pass and attendance, for a learning record store."""

    __tablename__ = "xapi_statement"
    __table_args__ = (sa.Index("ix_xapi_statement_status", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The statement id (UUID) an LRS deduplicates on.
    statement_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    verb: Mapped[str] = mapped_column(sa.String(32))
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[str] = mapped_column(sa.String(64))
    object_name: Mapped[str] = mapped_column(sa.String(200), default="")
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: The outbox: ``pending`` until a learning record store took it, then ``sent``; ``rejected`` when
    #: the store refused this one statement as invalid (400), so it stops holding the others back.
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", server_default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why the store rejected it (its answer, shortened).
    error: Mapped[str | None] = mapped_column(sa.String(300))


class XapiOutbox(db.Model):
    """The one row describing the sending of statements to the learning record store.

    It is the sender's lock (a lease: whoever set ``lease_until`` in the future sends, others skip),
    its backoff after failures, and what the admin health panel shows.
    """

    __tablename__ = "xapi_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Failed sends in a row; the wait before the next try doubles with each.
    failures: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ManualHoursRequest(db.Model):
    """A coordinator's manual entry above the approval threshold, waiting for a second coordinator.

    Nothing reaches the ledger until another coordinator of the member's subtree (never the
    requester, never the member) approves it; the approved entry names the request in its source.
    """

    __tablename__ = "manual_hours_request"
    __table_args__ = (sa.Index("ix_manual_hours_request_status", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))
    reason: Mapped[str] = mapped_column(sa.String(500))
    occurred_on: Mapped[date | None]
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: pending | approved | rejected
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(sa.String(500), default="")
    #: The ledger entry an approval appended.
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hours_entry.id", ondelete="SET NULL"))

    member = relationship("User", foreign_keys=[user_id], lazy="joined")
    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="joined")
    decided_by = relationship("User", foreign_keys=[decided_by_id], lazy="joined")


class Certificate(db.Model):
    """A PDF certificate issued from the ledger: a course's 结业证书 or a year's 学时证明.

    Its facts are frozen when issued; the serial (unguessable) is what the QR code's public
    verification page looks up. It covers the member's ledger entries up to ``last_entry_id`` of its
    course (or year): reversing one of those revokes it (see ``app.records.certificates``).
    """

    __tablename__ = "certificate"
    __table_args__ = (
        sa.Index("ix_certificate_user_kind", "user_id", "kind", "course_id", "year"),
        # One live certificate per fact set, whoever asks at the same moment (two exports of one
        # branch on two workers, a member's double click): the loser finds the winner's. Twins
        # issued before this rule stay valid, marked (``twin_of_id``) and outside it.
        sa.Index(
            "uq_certificate_live_facts",
            "user_id",
            "kind",
            sa.func.coalesce(sa.column("course_id"), 0),
            sa.func.coalesce(sa.column("year"), 0),
            "hours",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL AND twin_of_id IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL AND twin_of_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    serial: Mapped[str] = mapped_column(sa.String(32), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="RESTRICT"))
    #: course | annual
    kind: Mapped[str] = mapped_column(sa.String(16))
    course_id: Mapped[int | None]
    year: Mapped[int | None]
    #: The course's title, or the year's proof title, as issued.
    title: Mapped[str] = mapped_column(sa.String(200))
    holder_name: Mapped[str] = mapped_column(sa.String(64))
    hours: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))
    #: The course's completion, or the day the year's proof was issued.
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The member's last ledger entry when issued: entries after it are not covered.
    last_entry_id: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    #: A second serial issued for the same facts before one live certificate per fact set was
    #: enforced (migration 0031): still valid (it may be on paper), never handed out again.
    twin_of_id: Mapped[int | None]

    user = relationship("User", foreign_keys=[user_id], lazy="joined")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
