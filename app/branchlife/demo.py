"""Demo organisation life for ``flask seed-demo``: this year's 三会一课 in every branch, so that members'
records and coordinators' dashboards have something to show. Recorded the way a coordinator records
them (:func:`app.branchlife.services.record_meeting`); idempotent (a meeting already recorded is left)."""

import random
from datetime import date

import sqlalchemy as sa

from app.accounts.models import MemberCategory, Role, User
from app.branchlife.models import Meeting
from app.branchlife.services import MeetingData, record_meeting
from app.core.clock import localtoday
from app.extensions import db
from app.org.models import Branch, BranchKind

#: (kind, topic, minutes, months held in)
MEETINGS = (
    ("group", "学习习近平新时代中国特色社会主义思想", 90, range(1, 13)),
    ("general_assembly", "支部党员大会", 135, (3, 6, 9, 12)),
    ("lecture", "书记讲党课", 135, (2, 5, 8, 11)),
)
PARTY = (MemberCategory.FULL, MemberCategory.PROBATIONARY)


def seed_demo_hours(today: date | None = None) -> int:
    """Record the meetings held so far this year in each 党支部; each member attends as often as their
    own habit (from always to now and then), so some branches are ahead of the target pace and some
    behind. Returns how many meetings were recorded."""
    today = today or localtoday()
    recorder = db.session.scalar(sa.select(User).where(User.employee_no == "admin"))
    done = set(db.session.execute(sa.select(Meeting.branch_id, Meeting.kind, Meeting.held_on)).tuples())
    recorded = 0
    for branch in db.session.scalars(
        sa.select(Branch).where(Branch.kind == BranchKind.BRANCH).order_by(Branch.id)
    ):
        members = db.session.scalars(
            sa.select(User)
            .where(
                User.branch_id == branch.id, User.category.in_(PARTY), User.role_rows.any(role=Role.MEMBER)
            )
            .order_by(User.id)
        ).all()
        for kind, title, minutes, months in MEETINGS:
            for month in months:
                held = date(today.year, month, 20)
                if held >= today or (branch.id, kind, held) in done:
                    continue
                present = [
                    m.id
                    for m in members
                    if random.Random(f"{m.employee_no}{kind}{month}").random()
                    < random.Random(m.employee_no).uniform(0.4, 1.0)  # the member's habit
                ]
                if present:
                    record_meeting(recorder, branch, MeetingData(kind, title, held, minutes, present))
                    recorded += 1
    return recorded
