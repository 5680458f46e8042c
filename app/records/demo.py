"""Demo learning hours for ``flask seed-demo``: this year's 三会一课 meetings, so that members' records
and coordinators' dashboards have something to show. Credited through the ledger like real meetings;
idempotent (each meeting is one source per member, credited once)."""

import random
from datetime import date

import sqlalchemy as sa

from app.accounts.models import MemberCategory, Role, User, UserRole
from app.core.clock import localtoday
from app.extensions import db
from app.records.services import credit_offline_hours

#: Quarterly summaries of the meetings a member attended (支部党员大会, 党小组会, 党课), credited in the
#: last month of each quarter: (title, months, most minutes a quarter); 45 minutes make one 学时.
MEETINGS = (("三会一课", (3, 6, 9, 12), 540),)
PARTY = (MemberCategory.FULL, MemberCategory.PROBATIONARY)


def seed_demo_hours(today: date | None = None) -> int:
    """Credit this year's finished quarters; each member attends as often as their own habit (from
    always to now and then), so some branches are ahead of the target pace and some behind.
    Returns how many entries were added."""
    today = today or localtoday()
    members = db.session.scalars(
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.MEMBER, User.category.in_(PARTY), User.branch_id.is_not(None))
        .order_by(User.id)
    ).all()
    added = 0
    for member in members:
        rng = random.Random(member.employee_no)  # the same habits on every run
        habit = rng.uniform(0.4, 1.1)
        for title, months, most in MEETINGS:
            for month in months:
                held = date(today.year, month, 28)
                if held >= today:
                    continue
                minutes = int(most * min(1.0, habit + rng.uniform(-0.2, 0.2)) / 45) * 45
                if minutes <= 0:
                    continue
                entry = credit_offline_hours(
                    member,
                    source_kind="meeting",
                    source_ref=f"demo:{title}:{held:%Y-%m}",
                    minutes=minutes,
                    actor=None,
                    reason=f"{held.year}年第{(month - 1) // 3 + 1}季度{title}",
                    occurred_on=held,
                    title=title,
                )
                added += entry is not None
    return added
