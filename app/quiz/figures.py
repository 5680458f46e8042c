"""Per-branch figures of contest participation for a period, for other domains' reports (the
assessment): one grouped SQL count."""

from datetime import date, datetime, time

import sqlalchemy as sa

from app.core.clock import LOCAL_TZ
from app.extensions import db
from app.org.models import Branch
from app.quiz.models import Attempt, AttemptKind


def contest_participants(prefix: str, starts_on: date, ends_on: date) -> dict[int, int]:
    """Per branch under ``prefix``: members who finished at least one contest (竞赛) attempt started
    between the two days, counted in the branch they were in when they started it."""
    start = datetime.combine(starts_on, time.min, LOCAL_TZ)
    end = datetime.combine(ends_on, time.max, LOCAL_TZ)
    query = (
        sa.select(Attempt.branch_id, sa.func.count(sa.distinct(Attempt.user_id)))
        .join(Branch, Branch.id == Attempt.branch_id)
        .where(
            Attempt.kind == AttemptKind.CONTEST,
            Attempt.finished_at.is_not(None),
            Attempt.started_at >= start,
            Attempt.started_at <= end,
        )
        .group_by(Attempt.branch_id)
    )
    if prefix:
        query = query.where(Branch.subtree_filter(prefix))
    return dict(db.session.execute(query).all())
