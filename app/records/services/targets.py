"""Targets and training records: the ledger summed by year and source, set against the target."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.records import sources
from app.records.models import (
    HoursEntry,
    HoursTotal,
)
from app.records.services.base import CADRE_POSITIONS, HoursPolicy

# --- targets and training records ---------------------------------------------------------------


def target_for(member: User, policy: HoursPolicy | None = None) -> Decimal:
    policy = policy or HoursPolicy.from_config()
    return policy.target_cadre if member.position in CADRE_POSITIONS else policy.target_member


def target_expression(policy: HoursPolicy | None = None):
    """The yearly target as a SQL expression over ``User`` (for reports over many members)."""
    policy = policy or HoursPolicy.from_config()
    return sa.case((User.position.in_(CADRE_POSITIONS), policy.target_cadre), else_=policy.target_member)


def hours_by_year(user_id: int) -> list[tuple[int, Decimal]]:
    rows = db.session.execute(
        sa.select(HoursTotal.year, HoursTotal.hours)
        .where(HoursTotal.user_id == user_id)
        .order_by(HoursTotal.year.desc())
    ).all()
    return [(year, Decimal(total)) for year, total in rows]


def hours_by_source(user_id: int, year: int) -> dict[str, Decimal]:
    rows = db.session.execute(
        sa.select(HoursEntry.source_kind, sa.func.sum(HoursEntry.hours))
        .where(HoursEntry.user_id == user_id, HoursEntry.year == year)
        .group_by(HoursEntry.source_kind)
    ).all()
    return {kind: Decimal(total) for kind, total in rows}


def credited_for_course(user_id: int, course_id: int) -> Decimal:
    """学时 the ledger holds for ``user_id`` from ``course_id``, net of reversals."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(HoursEntry.hours), 0)).where(
            HoursEntry.user_id == user_id, HoursEntry.course_id == course_id
        )
    )
    return Decimal(str(total or 0)).quantize(Decimal("0.01"))  # SQLite sums NUMERIC as a float


def entries_for(user_id: int, year: int | None = None):
    query = sa.select(HoursEntry).where(HoursEntry.user_id == user_id)
    if year is not None:
        query = query.where(HoursEntry.year == year)
    return query.order_by(HoursEntry.occurred_on.desc(), HoursEntry.id.desc())


@dataclass(frozen=True)
class CompletedCourse:
    course_id: int
    title: str
    completed_at: datetime
    hours: Decimal  # the lesson hours credited for this course (net of reversals)


def completed_courses(user_id: int) -> list[CompletedCourse]:
    """Courses the member completed (their producer says which, see :mod:`app.records.sources`)
    with the hours the ledger credited for them — two queries."""
    done = sources.course_completions(user_id)
    if not done:
        return []
    credited = dict(
        db.session.execute(
            sa.select(HoursEntry.course_id, sa.func.sum(HoursEntry.hours))
            .where(HoursEntry.user_id == user_id, HoursEntry.course_id.in_({c.course_id for c in done}))
            .group_by(HoursEntry.course_id)
        ).all()
    )
    return [
        CompletedCourse(c.course_id, c.title, c.completed_at, Decimal(credited.get(c.course_id) or 0))
        for c in done
    ]


def year_hours_of(user_ids: list[int], year: int) -> dict[int, Decimal]:
    """Each member's hours of ``year`` (from the yearly totals: one row each), for pages that show a
    group's progress (a branch page)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        sa.select(HoursTotal.user_id, HoursTotal.hours).where(
            HoursTotal.user_id.in_(user_ids), HoursTotal.year == year
        )
    ).all()
    return {user_id: Decimal(hours) for user_id, hours in rows}
