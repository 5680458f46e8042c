"""The tables of 民主评议党员.

Secrecy is a property of the schema, not of the pages: a cast ballot is one row per grade given
(:class:`ReviewBallot`) with a random UUID key, the round, the member graded and the grade — no
voter, no time, nothing numbered in the order it was written. Who has voted is a separate marker
(:class:`ReviewVoter`) keyed by (round, voter), with no time either. On SQLite both tables are
``WITHOUT ROWID``, so not even the hidden row number remembers the order rows were written in; the
rows sit in key order (random for ballots). PostgreSQL keeps a row's writing transaction (``xmin``)
and place (``ctid``): each vote therefore rewrites all the round's ballots in random order, so that
the live rows never single out the grades of one vote (see ``services._rewrite_ballots``).
"""

# Tables alike in shape to other domains' (id, owner, status with labels, link tables of two keys,
# timestamps), kept apart: each holds its own rows and constraints.

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.types import UTCDateTime, enum_column
from app.extensions import db

#: Fewer members than this cannot hold a secret ballot: with two voters each knows the other's vote.
MIN_PARTICIPANTS = 3


# Enums with their label dicts, alike in shape to each other and to other domains' enums, kept
# apart: each is one column's own values and labels.
class ReviewGrade(enum.StrEnum):
    EXCELLENT = "excellent"
    QUALIFIED = "qualified"
    BASIC = "basic"
    UNQUALIFIED = "unqualified"


GRADE_LABELS = {
    ReviewGrade.EXCELLENT: _l("优秀"),
    ReviewGrade.QUALIFIED: _l("合格"),
    ReviewGrade.BASIC: _l("基本合格"),
    ReviewGrade.UNQUALIFIED: _l("不合格"),
}


class ReviewPhase(enum.StrEnum):
    """Where a round stands, read from the server's clock and its own stamps (not stored)."""

    ASSESSING = "assessing"  # before the window: members write their self-assessments
    VOTING = "voting"
    COUNTING = "counting"  # the window has closed; grades not yet recorded
    FINISHED = "finished"  # the branch recorded the final grades; locked


PHASE_LABELS = {
    ReviewPhase.ASSESSING: _l("自我评价"),
    ReviewPhase.VOTING: _l("投票中"),
    ReviewPhase.COUNTING: _l("待定档"),
    ReviewPhase.FINISHED: _l("已定档"),
}


def new_ballot_key() -> str:
    return uuid.uuid4().hex


class ReviewRound(db.Model):
    """One 民主评议 of a 党支部 for a year."""

    __tablename__ = "branch_review_round"
    __table_args__ = (
        sa.UniqueConstraint("branch_id", "year", name="uq_branch_review_round_branch_year"),
        sa.CheckConstraint("vote_ends_at > vote_starts_at", name="window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(sa.ForeignKey("branch.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int]
    #: The voting window, in UTC; the server's clock alone decides whether a ballot is on time.
    vote_starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    vote_ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Set once, by the one tally that wins (the counts on each participant are then final).
    tallied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How many members voted (known at the tally; the markers say who, never how).
    voter_count: Mapped[int | None]
    #: When the branch recorded the final grades; the round is locked from then on.
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    branch = relationship("Branch", lazy="joined")
    participants: Mapped[list["ReviewParticipant"]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="ReviewParticipant.id"
    )

    def phase(self, now: datetime | None = None) -> ReviewPhase:
        now = now or utcnow()
        if self.finished_at is not None:
            return ReviewPhase.FINISHED
        if now < self.vote_starts_at:
            return ReviewPhase.ASSESSING
        if now < self.vote_ends_at:
            return ReviewPhase.VOTING
        return ReviewPhase.COUNTING

    def participant_of(self, user_id: int) -> "ReviewParticipant | None":
        return next((p for p in self.participants if p.member_id == user_id), None)


class ReviewParticipant(db.Model):
    """A member taking part in a round: their self-assessment, the tally of the votes about them and
    the final grade the branch recorded. Snapshotted when the round opens."""

    __tablename__ = "branch_review_participant"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "member_id", name="uq_branch_review_participant_round_member"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("branch_review_round.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    self_assessment: Mapped[str] = mapped_column(sa.Text, default="")
    self_assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Votes received per grade, filled by the tally.
    votes_excellent: Mapped[int | None]
    votes_qualified: Mapped[int | None]
    votes_basic: Mapped[int | None]
    votes_unqualified: Mapped[int | None]
    #: The final grade the branch recorded, with the reason (required for 不合格).
    grade: Mapped[ReviewGrade | None] = mapped_column(enum_column(ReviewGrade, "branch_review_grade"))
    grade_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    round: Mapped[ReviewRound] = relationship(back_populates="participants")
    member = relationship("User", lazy="joined")

    @property
    def tally(self) -> dict[ReviewGrade, int]:
        return {
            ReviewGrade.EXCELLENT: self.votes_excellent or 0,
            ReviewGrade.QUALIFIED: self.votes_qualified or 0,
            ReviewGrade.BASIC: self.votes_basic or 0,
            ReviewGrade.UNQUALIFIED: self.votes_unqualified or 0,
        }

    @property
    def grade_label(self) -> str:
        return str(GRADE_LABELS[self.grade]) if self.grade else ""


class ReviewVoter(db.Model):
    """ "Has voted": one row per (round, voter), and nothing about the vote, not even its time."""

    __tablename__ = "branch_review_voter"
    __table_args__ = ({"sqlite_with_rowid": False},)

    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("branch_review_round.id", ondelete="CASCADE"), primary_key=True
    )
    voter_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)


class ReviewBallot(db.Model):
    """One grade given to one member in a cast ballot. Deliberately no voter and no time."""

    __tablename__ = "branch_review_ballot"
    __table_args__ = (
        sa.Index("ix_branch_review_ballot_round_candidate", "round_id", "candidate_id"),
        {"sqlite_with_rowid": False},
    )

    #: Random, so that neither the key nor the key order says which ballots were cast together.
    key: Mapped[str] = mapped_column(sa.String(32), primary_key=True, default=new_ballot_key)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("branch_review_round.id", ondelete="CASCADE"))
    candidate_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    grade: Mapped[ReviewGrade] = mapped_column(enum_column(ReviewGrade, "branch_review_ballot_grade"))
