"""Per-branch figures of organisation life for a period, for other domains' reports (the
assessment): 三会一课 compliance from the compliance board's counts, and 民主评议 rounds finished."""

from collections import defaultdict
from datetime import date

import sqlalchemy as sa

from app.branchlife import compliance, kinds
from app.branchlife.models import Meeting
from app.branchlife.reviews.models import ReviewRound
from app.extensions import db
from app.org.models import Branch


def meetings_compliance(prefix: str, year: int, as_of: date) -> dict[int, tuple[int, int]]:
    """Per 党支部 under ``prefix``: ``(meetings held that count, meetings required)`` in ``year`` up to
    ``as_of`` (its period included), over every rule of :mod:`app.branchlife.kinds` — each kind's held
    meetings counted up to the number it requires, so that ten 党课 make up for no 支委会. The required
    numbers are the compliance board's; the held ones are yearly counts per (branch, kind), one
    grouped query (the board's month-by-month folding is not needed for a total)."""
    plans = compliance._plans(kinds.rules(), year, as_of)
    required = {plan.rule.kind: plan.required for plan in plans if plan.required}
    if not required:
        return {}
    in_scope = Branch.subtree_filter(prefix) if prefix else sa.true()
    by_secretary = sa.case((Meeting.lecturer_is_secretary.is_(True), 1), else_=0)
    held: dict[int, dict[str, int]] = defaultdict(dict)
    for branch_id, kind, count, secretary in db.session.execute(
        sa.select(Meeting.branch_id, Meeting.kind, sa.func.count(), sa.func.sum(by_secretary))
        .join(Branch, Branch.id == Meeting.branch_id)
        .where(
            in_scope,
            Meeting.status == "finalised",
            Meeting.held_on >= date(year, 1, 1),
            Meeting.held_on <= as_of,
        )
        .group_by(Meeting.branch_id, Meeting.kind)
    ):
        held[branch_id][kind] = count
        if kind == "lecture":
            held[branch_id][kinds.SECRETARY_LECTURE] = int(secretary or 0)
    if "review" in required:
        for branch_id in reviews_finished(prefix, year):
            held[branch_id]["review"] = 1
    total = sum(required.values())
    branches = sa.select(Branch.id).where(Branch.kind == "branch", in_scope)
    return {
        branch_id: (sum(min(held[branch_id].get(kind, 0), n) for kind, n in required.items()), total)
        for branch_id in db.session.scalars(branches)
    }


def reviews_finished(prefix: str, year: int) -> set[int]:
    """The branches under ``prefix`` whose 民主评议 round of ``year`` has its grades recorded."""
    query = sa.select(ReviewRound.branch_id).where(
        ReviewRound.year == year, ReviewRound.finished_at.is_not(None)
    )
    if prefix:
        query = query.join(Branch, Branch.id == ReviewRound.branch_id).where(Branch.subtree_filter(prefix))
    return set(db.session.scalars(query))
