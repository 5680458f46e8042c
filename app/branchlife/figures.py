"""Per-branch figures of organisation life for a period, for other domains' reports (the
assessment): 三会一课 compliance from the compliance board's counts, and 民主评议 rounds finished."""

from datetime import date

import sqlalchemy as sa

from app.branchlife import compliance, kinds
from app.branchlife.reviews.models import ReviewRound
from app.extensions import db
from app.org.models import Branch


def meetings_compliance(prefix: str, year: int, today: date) -> dict[int, tuple[int, int]]:
    """Per 党支部 under ``prefix``: ``(meetings held that count, meetings required)`` in ``year`` up to
    ``today``'s period, over every rule of :mod:`app.branchlife.kinds` — held counted up to the
    number required, so that ten 党课 make up for no 支委会. Branches with no rule due are left out."""
    plans = compliance._plans(kinds.rules(), year, today)
    required = sum(plan.required for plan in plans)
    if not required:
        return {}
    counts = compliance._counts(prefix or "/", year)
    query = sa.select(Branch.id).where(Branch.kind == "branch")
    if prefix:
        query = query.where(Branch.subtree_filter(prefix))
    seen: dict = {}
    figures = {}
    for branch_id in db.session.scalars(query):
        statuses = compliance._status(counts.get(branch_id, {}), plans, seen)
        figures[branch_id] = (sum(min(s.held, s.required) for s in statuses), required)
    return figures


def reviews_finished(prefix: str, year: int) -> set[int]:
    """The branches under ``prefix`` whose 民主评议 round of ``year`` has its grades recorded."""
    query = sa.select(ReviewRound.branch_id).where(
        ReviewRound.year == year, ReviewRound.finished_at.is_not(None)
    )
    if prefix:
        query = query.join(Branch, Branch.id == ReviewRound.branch_id).where(Branch.subtree_filter(prefix))
    return set(db.session.scalars(query))
