"""Demo 民主评议 for ``flask seed-demo``: in every 党支部 a finished round of this year — each member's
self-assessment, the secret ballots (most members voted), the tally and the grades the branch
recorded. Run through the same services a secretary uses; a branch that has this year's round already
is left alone (idempotent)."""

import random
from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import BranchPosition, User
from app.branchlife.reviews import services
from app.branchlife.reviews.models import ReviewGrade, ReviewRound
from app.core.clock import localtoday, utcnow
from app.extensions import db
from app.org.models import Branch, BranchKind

SELF_ASSESSMENT = (
    "本年度认真学习党的理论，按时参加组织生活，完成岗位工作；不足是理论联系实际还不够，今后加强。"
)


def _grade(voter: User, candidate: User) -> ReviewGrade:
    standing = random.Random(f"standing{candidate.employee_no}").random()
    roll = random.Random(f"{voter.employee_no}->{candidate.employee_no}").random()
    if roll < 0.1 + 0.5 * standing:
        return ReviewGrade.EXCELLENT
    return ReviewGrade.QUALIFIED if roll < 0.97 else ReviewGrade.BASIC


def _final(participant) -> ReviewGrade:
    """The branch's decision: 优秀 for a clear majority of 优秀 votes, 合格 otherwise."""
    votes = participant.votes_excellent + participant.votes_qualified + participant.votes_basic
    return (
        ReviewGrade.EXCELLENT
        if votes and participant.votes_excellent * 3 > votes * 2
        else ReviewGrade.QUALIFIED
    )


def _hold_round(actor: User, branch: Branch, year: int) -> ReviewRound | None:
    now = utcnow()
    try:
        review = services.open_round(actor, branch, year, now - timedelta(days=14), now + timedelta(hours=1))
    except services.ReviewError:  # too few members for a secret ballot
        return None
    members = {p.member_id: p.member for p in review.participants}
    for member in members.values():
        services.save_self_assessment(member, review, SELF_ASSESSMENT)
    for voter in members.values():
        if random.Random(f"abstain{voter.employee_no}").random() < 0.1:
            continue  # some did not vote
        grades = {m: _grade(voter, c).value for m, c in members.items() if m != voter.id}
        services.cast_ballot(voter, review, grades)
    # The vote closed a week ago; the branch then counted and recorded the grades.
    review.vote_starts_at, review.vote_ends_at = now - timedelta(days=21), now - timedelta(days=7)
    db.session.flush()
    services.tally_round(actor, review)
    grades = {p.id: _final(p).value for p in review.participants}
    return services.record_grades(actor, review, grades, {})


def seed_demo_reviews() -> int:
    """A finished 民主评议 of this year in each 党支部 that has none; returns how many were held."""
    year = localtoday().year
    admin = db.session.scalar(sa.select(User).where(User.employee_no == "admin"))
    done = set(db.session.scalars(sa.select(ReviewRound.branch_id).where(ReviewRound.year == year)))
    held = 0
    for branch in db.session.scalars(
        sa.select(Branch).where(Branch.kind == BranchKind.BRANCH).order_by(Branch.id)
    ).all():
        if branch.id in done:
            continue
        secretary = db.session.scalar(
            sa.select(User).where(User.branch_id == branch.id, User.position == BranchPosition.SECRETARY)
        )
        if _hold_round(secretary or admin, branch, year) is not None:
            held += 1
    db.session.flush()
    return held
