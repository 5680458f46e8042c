"""民主评议党员: open a round, self-assess, cast a secret ballot, tally, record the final grades.

Plain ``verb_noun(actor, ...)`` functions: they validate, change, flush, audit and signal; the caller
commits. The rules a voter could try to bend are checked here against the server's clock and the
database's own constraints: the window, one ballot per voter (a primary key, so that two submits at
once cast once), a grade for every other member and none for oneself.
"""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import BranchPosition, MemberCategory, User
from app.branchlife.reviews.models import (
    GRADE_LABELS,
    MIN_PARTICIPANTS,
    ReviewBallot,
    ReviewGrade,
    ReviewParticipant,
    ReviewPhase,
    ReviewRound,
    ReviewVoter,
    new_ballot_key,
)
from app.core import audit
from app.core.clock import localtoday, utcnow
from app.core.errors import DomainError
from app.core.signals import notification_requested, review_graded
from app.core.transactions import insert_in_savepoint
from app.core.urls import id_from
from app.extensions import db
from app.org import services as org
from app.org.models import Branch, BranchKind

#: Positions that run a branch's 民主评议 (with the coordinators of its subtree).
SECRETARY_POSITIONS = (BranchPosition.SECRETARY, BranchPosition.DEPUTY_SECRETARY)
#: Categories that take part: Party members, full and probationary (unknown counts as a member).
PARTICIPANT_CATEGORIES = (MemberCategory.FULL, MemberCategory.PROBATIONARY)
#: The longest voting window, and how far ahead it may start.
MAX_WINDOW = timedelta(days=31)
MAX_LEAD = timedelta(days=366)
SELF_ASSESSMENT_MAX = 2000
REASON_MAX = 500


class ReviewError(DomainError):
    """A refusal in 民主评议, with a message in Chinese."""


# --- who may do what ------------------------------------------------------------------------------


def is_secretary_of(user: User, branch: Branch) -> bool:
    return user.branch_id == branch.id and user.position in SECRETARY_POSITIONS


def can_manage(user: User, branch: Branch) -> bool:
    """The branch's 书记/副书记, a coordinator of its subtree, or an admin."""
    return is_secretary_of(user, branch) or org.can_manage_branch(user, branch)


def can_view(user: User, review: ReviewRound) -> bool:
    return review.participant_of(user.id) is not None or can_manage(user, review.branch)


def get_round_for(round_id: int, user: User, manage: bool = False) -> ReviewRound:
    """The round a page names: 404 when there is none, 403 when ``user`` takes no part in it (or, with
    ``manage``, may not run it)."""
    review = db.session.get(ReviewRound, round_id) if id_from(round_id) else None
    if review is None:
        raise NotFound()
    if not (can_manage(user, review.branch) if manage else can_view(user, review)):
        raise Forbidden()
    return review


def manageable_branches(user: User) -> list[Branch]:
    """The 党支部s whose 民主评议 ``user`` may open."""
    branches = [b for b in org.visible_branches(user) if b.kind == BranchKind.BRANCH]
    own = user.branch
    is_own_listed = own is None or any(b.id == own.id for b in branches)
    if not is_own_listed and own.kind == BranchKind.BRANCH and is_secretary_of(user, own):
        branches.insert(0, own)
    return branches


def _managed_by(user: User):
    """A condition on :class:`ReviewRound` joined to :class:`Branch`: the rounds ``user`` runs."""
    managed = sa.false()
    prefix = org.scope_path(user)
    if prefix is not None:
        managed = Branch.subtree_filter(prefix) if prefix else sa.true()
    if user.position in SECRETARY_POSITIONS and user.branch_id is not None:
        managed = sa.or_(managed, ReviewRound.branch_id == user.branch_id)
    return managed


def rounds_query(user: User):
    """The rounds ``user`` takes part in or manages, newest first."""
    taking_part = sa.select(ReviewParticipant.round_id).where(ReviewParticipant.member_id == user.id)
    return (
        sa.select(ReviewRound)
        .join(Branch, ReviewRound.branch_id == Branch.id)
        .where(sa.or_(ReviewRound.id.in_(taking_part), _managed_by(user)))
        .order_by(ReviewRound.year.desc(), ReviewRound.id.desc())
    )


def rounds_to_grade(user: User) -> list[ReviewRound]:
    """Rounds ``user`` runs whose vote has closed and whose grades are not recorded (the home panel)."""
    return list(
        db.session.scalars(
            sa.select(ReviewRound)
            .join(Branch, ReviewRound.branch_id == Branch.id)
            .where(_managed_by(user), ReviewRound.vote_ends_at <= utcnow(), ReviewRound.finished_at.is_(None))
            .order_by(ReviewRound.vote_ends_at)
            .limit(5)
        )
    )


def has_voted(user: User, review: ReviewRound) -> bool:
    marker = sa.select(ReviewVoter).where(ReviewVoter.round_id == review.id, ReviewVoter.voter_id == user.id)
    return db.session.scalar(sa.select(marker.exists())) or False


def open_ballots_for(user: User) -> list[ReviewRound]:
    """Rounds in their voting window where ``user`` takes part and has not voted yet (the home panel)."""
    now = utcnow()
    voted = sa.select(ReviewVoter.round_id).where(ReviewVoter.voter_id == user.id)
    return list(
        db.session.scalars(
            sa.select(ReviewRound)
            .join(ReviewParticipant, ReviewParticipant.round_id == ReviewRound.id)
            .where(
                ReviewParticipant.member_id == user.id,
                ReviewRound.finished_at.is_(None),
                ReviewRound.vote_starts_at <= now,
                ReviewRound.vote_ends_at > now,
                ReviewRound.id.not_in(voted),
            )
            .order_by(ReviewRound.vote_ends_at)
        )
    )


# --- opening --------------------------------------------------------------------------------------


def _participants_of(branch: Branch) -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.branch_id == branch.id,
                User.is_active_account.is_(True),
                sa.or_(User.category.is_(None), User.category.in_(PARTICIPANT_CATEGORIES)),
            )
            .order_by(User.employee_no)
        )
    )


def _check_window(starts: datetime | None, ends: datetime | None, now: datetime) -> None:
    if starts is None:
        raise ReviewError(_("请填写投票开始时间"), field="vote_starts_at")
    if ends is None:
        raise ReviewError(_("请填写投票截止时间"), field="vote_ends_at")
    if ends <= starts:
        raise ReviewError(_("投票截止时间必须晚于开始时间"), field="vote_ends_at")
    if ends <= now:
        raise ReviewError(_("投票截止时间已过，请重新选择"), field="vote_ends_at")
    if ends - starts > MAX_WINDOW:
        raise ReviewError(_("投票时间最长 31 天"), field="vote_ends_at")
    if starts - now > MAX_LEAD:
        raise ReviewError(_("投票开始时间不能晚于一年以后"), field="vote_starts_at")


def open_round(actor: User, branch: Branch, year: int, starts: datetime | None, ends: datetime | None):
    """Open the 民主评议 of ``branch`` for ``year``: snapshot its members, notify them."""
    if not can_manage(actor, branch):
        raise ReviewError(_("只有本支部书记、副书记或上级组织员可以组织民主评议"), 403)
    if branch.kind != BranchKind.BRANCH:
        raise ReviewError(_("民主评议以党支部为单位开展"), field="branch_id")
    this_year = localtoday().year
    if year not in (this_year - 1, this_year):
        raise ReviewError(
            _("评议年度只能是 %(last)s 或 %(this)s 年", last=this_year - 1, this=this_year), field="year"
        )
    now = utcnow()
    _check_window(starts, ends, now)
    members = _participants_of(branch)
    if len(members) < MIN_PARTICIPANTS:
        raise ReviewError(_("支部党员少于 %(n)s 人，无法无记名投票", n=MIN_PARTICIPANTS), field="branch_id")
    review = ReviewRound(
        branch_id=branch.id, year=year, vote_starts_at=starts, vote_ends_at=ends, opened_by_id=actor.id
    )
    review.participants = [ReviewParticipant(member_id=m.id) for m in members]
    if not insert_in_savepoint(review):
        raise ReviewError(
            _("%(branch)s %(year)s 年度的民主评议已经开启", branch=branch.name, year=year), 409, "year"
        )
    audit.record(actor, "branch_review.open", review, f"开启 {branch.name} {year} 年度民主评议")
    notification_requested.send(
        "branchlife",
        user_ids=[m.id for m in members],
        title=_("%(year)s 年度民主评议党员已开始", year=year),
        body=_("请先填写个人自我评价，并在投票时间内完成互评。"),
        url=f"/branchlife/reviews/{review.id}",
        kind="branchlife.review_opened",
    )
    return review


# --- members' part ---------------------------------------------------------------------------------


def _participant(member: User, review: ReviewRound) -> ReviewParticipant:
    participant = review.participant_of(member.id)
    if participant is None:
        raise ReviewError(_("您不是本次民主评议的参评党员"), 403)
    return participant


def save_self_assessment(member: User, review: ReviewRound, text: str) -> ReviewParticipant:
    participant = _participant(member, review)
    if review.phase() not in (ReviewPhase.ASSESSING, ReviewPhase.VOTING):
        raise ReviewError(_("投票已截止，自我评价不能再修改"), 409)
    text = (text or "").strip()
    if not text:
        raise ReviewError(_("请填写自我评价"), field="text")
    if len(text) > SELF_ASSESSMENT_MAX:
        raise ReviewError(_("自我评价不能超过 %(n)s 字", n=SELF_ASSESSMENT_MAX), field="text")
    participant.self_assessment = text
    participant.self_assessed_at = utcnow()
    db.session.flush()
    audit.record(member, "branch_review.self_assess", review, "填写自我评价")
    return participant


def _parse_ballot(voter: User, review: ReviewRound, grades: Mapping) -> dict[int, ReviewGrade]:
    """``{member id: grade}`` for exactly every other participant, or a refusal."""
    expected = {p.member_id for p in review.participants if p.member_id != voter.id}
    chosen: dict[int, ReviewGrade] = {}
    for raw_id, raw_grade in grades.items():
        member_id = id_from(raw_id)
        if member_id is None or member_id not in expected:
            raise ReviewError(_("只能评议本支部的其他参评党员"), field="grades")
        try:
            chosen[member_id] = ReviewGrade(str(raw_grade))
        except ValueError:
            raise ReviewError(_("评议等次无效"), field="grades") from None
    if set(chosen) != expected:
        raise ReviewError(_("请为每一位党员选择评议等次"), field="grades")
    return chosen


def _lock_round(review: ReviewRound) -> None:
    """Votes of one round take turns (SQLite's write lock does this for every transaction): each one
    rewrites the round's ballots, and two rewrites at once would copy each other's rows."""
    db.session.execute(sa.select(ReviewRound.id).where(ReviewRound.id == review.id).with_for_update())


#: PostgreSQL rewrites a round's ballots in one statement, on the server, in random order.
_REWRITE_ON_POSTGRESQL = sa.text(
    "WITH old AS (DELETE FROM branch_review_ballot WHERE round_id = :round_id"
    " RETURNING round_id, candidate_id, grade)"
    " INSERT INTO branch_review_ballot (key, round_id, candidate_id, grade)"
    " SELECT replace(gen_random_uuid()::text, '-', ''), round_id, candidate_id, grade"
    " FROM old ORDER BY random()"
)


def _rewrite_ballots(review: ReviewRound, added: list[dict] | None = None) -> None:
    """Add ``added`` to the round's ballots, then write all of them again in random order, new keys.

    PostgreSQL remembers which transaction wrote a row (``xmin``) and where (``ctid``): were a vote's
    grades the only rows its transaction wrote, they could be matched to the marker written beside
    them. Rewritten with every other ballot of the round, they share that transaction with all of
    them. (The old row versions are dead: gone at the next VACUUM, and before it readable only by a
    superuser with ``pageinspect``.) SQLite keeps no such trace of ``WITHOUT ROWID`` rows; the
    rewrite there is cheap and keeps both backends alike."""
    rows = [{**b, "key": new_ballot_key()} for b in added or []]
    if db.session.get_bind().dialect.name == "postgresql":
        if rows:
            db.session.execute(sa.insert(ReviewBallot), rows)
        db.session.execute(_REWRITE_ON_POSTGRESQL, {"round_id": review.id})
        return
    rows += [
        {"key": new_ballot_key(), "round_id": review.id, "candidate_id": c, "grade": g}
        for c, g in db.session.execute(
            sa.select(ReviewBallot.candidate_id, ReviewBallot.grade).where(ReviewBallot.round_id == review.id)
        )
    ]
    db.session.execute(sa.delete(ReviewBallot).where(ReviewBallot.round_id == review.id))
    secrets.SystemRandom().shuffle(rows)
    if rows:
        db.session.execute(sa.insert(ReviewBallot), rows)


def cast_ballot(voter: User, review: ReviewRound, grades: Mapping) -> None:
    """Cast ``voter``'s one secret ballot: a grade for every other participant.

    The marker (who voted) and the grades (what was voted) are written in one transaction; the grades
    go in with the rest of the round's, rewritten in random order with random keys and no time, so
    that nothing in the tables joins a grade to the marker (see :func:`_rewrite_ballots`)."""
    _participant(voter, review)
    if review.phase() != ReviewPhase.VOTING:
        raise ReviewError(_("不在投票时间内"), 409)
    chosen = _parse_ballot(voter, review, grades)
    _lock_round(review)
    if has_voted(voter, review):
        raise ReviewError(_("您已经投过票了，每人只能投一次"), 409)
    # False when a second submit raced the first: the primary key lets one through
    if not insert_in_savepoint(ReviewVoter(round_id=review.id, voter_id=voter.id)):
        raise ReviewError(_("您已经投过票了，每人只能投一次"), 409)
    _rewrite_ballots(
        review, [{"round_id": review.id, "candidate_id": m, "grade": g} for m, g in chosen.items()]
    )
    audit.record(voter, "branch_review.vote", review, "完成民主评议投票")


# --- the branch's part -----------------------------------------------------------------------------


def _require_manager(actor: User, review: ReviewRound) -> None:
    if not can_manage(actor, review.branch):
        raise ReviewError(_("只有本支部书记、副书记或上级组织员可以操作"), 403)


def tally_round(actor: User, review: ReviewRound) -> ReviewRound:
    """Count the ballots once the window has closed (idempotent: the first tally wins).

    The round's ballots are rewritten once more, so that after the window every one of them was
    written by the tally's transaction and none by a voter's."""
    _require_manager(actor, review)
    if review.phase() in (ReviewPhase.ASSESSING, ReviewPhase.VOTING):
        raise ReviewError(_("投票尚未结束，不能计票"), 409)
    if review.tallied_at is not None:
        return review
    claimed = db.session.execute(
        sa.update(ReviewRound)
        .where(ReviewRound.id == review.id, ReviewRound.tallied_at.is_(None))
        .values(tallied_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # another tally won; read its result
        db.session.refresh(review)
        return review
    _rewrite_ballots(review)
    counts: dict[int, dict[ReviewGrade, int]] = {}
    for candidate_id, grade, n in db.session.execute(
        sa.select(ReviewBallot.candidate_id, ReviewBallot.grade, sa.func.count())
        .where(ReviewBallot.round_id == review.id)
        .group_by(ReviewBallot.candidate_id, ReviewBallot.grade)
    ):
        counts.setdefault(candidate_id, {})[grade] = n
    for p in review.participants:
        mine = counts.get(p.member_id, {})
        p.votes_excellent = mine.get(ReviewGrade.EXCELLENT, 0)
        p.votes_qualified = mine.get(ReviewGrade.QUALIFIED, 0)
        p.votes_basic = mine.get(ReviewGrade.BASIC, 0)
        p.votes_unqualified = mine.get(ReviewGrade.UNQUALIFIED, 0)
    review.voter_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(ReviewVoter).where(ReviewVoter.round_id == review.id)
    )
    db.session.refresh(review, ["tallied_at"])
    db.session.flush()
    audit.record(actor, "branch_review.tally", review, f"计票：{review.voter_count} 人投票")
    return review


def counts_are_shown(review: ReviewRound) -> bool:
    """Small-group rule: with fewer voters than MIN_PARTICIPANTS the counts would name the votes."""
    return review.tallied_at is not None and (review.voter_count or 0) >= MIN_PARTICIPANTS


def _parse_grades(
    review: ReviewRound, grades: Mapping, reasons: Mapping
) -> dict[int, tuple[ReviewGrade, str]]:
    decided: dict[int, tuple[ReviewGrade, str]] = {}
    for p in review.participants:
        raw = grades.get(str(p.id), grades.get(p.id))
        try:
            grade = ReviewGrade(str(raw))
        except ValueError:
            raise ReviewError(
                _("请为 %(name)s 选择评定等次", name=p.member.name), field=f"grade_{p.id}"
            ) from None
        reason = str(reasons.get(str(p.id), reasons.get(p.id)) or "").strip()
        if len(reason) > REASON_MAX:
            raise ReviewError(_("说明不能超过 %(n)s 字", n=REASON_MAX), field=f"reason_{p.id}")
        if grade == ReviewGrade.UNQUALIFIED and not reason:
            raise ReviewError(
                _("评定 %(name)s 为不合格，必须写明理由", name=p.member.name), field=f"reason_{p.id}"
            )
        decided[p.id] = (grade, reason)
    return decided


def record_grades(actor: User, review: ReviewRound, grades: Mapping, reasons: Mapping) -> ReviewRound:
    """Record every participant's final grade at once and lock the round; each grade is audited and
    sent on as ``review_graded`` (once: a second submit at the same time is refused)."""
    _require_manager(actor, review)
    phase = review.phase()
    if phase == ReviewPhase.FINISHED:
        raise ReviewError(_("本次民主评议已定档，不能再修改"), 409)
    if phase != ReviewPhase.COUNTING:
        raise ReviewError(_("投票结束后才能评定等次"), 409)
    decided = _parse_grades(review, grades, reasons)
    tally_round(actor, review)
    now = utcnow()
    claimed = db.session.execute(
        sa.update(ReviewRound)
        .where(ReviewRound.id == review.id, ReviewRound.finished_at.is_(None))
        .values(finished_at=now, finished_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ReviewError(_("本次民主评议已定档，不能再修改"), 409)
    db.session.refresh(review, ["finished_at", "finished_by_id"])
    for p in review.participants:
        p.grade, p.grade_reason = decided[p.id]
    db.session.flush()
    for p in review.participants:
        audit.record(
            actor,
            "branch_review.grade",
            p,
            f"评定 {p.member.name} {review.year} 年度民主评议等次：{GRADE_LABELS[p.grade]}",
            {"grade": p.grade.value, "reason": p.grade_reason, "round_id": review.id},
        )
        review_graded.send("branchlife", member_id=p.member_id, year=review.year, grade=p.grade.value)
    notification_requested.send(
        "branchlife",
        user_ids=[p.member_id for p in review.participants],
        title=_("%(year)s 年度民主评议结果已公布", year=review.year),
        body=_("请查看本人的评定等次。"),
        url=f"/branchlife/reviews/{review.id}",
        kind="branchlife.review_graded",
    )
    return review
