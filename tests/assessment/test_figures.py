"""The owning domains' per-branch figures agree with their own pages: 三会一课 compliance under the
default rules (every kind, 书记讲党课, 民主评议) with the compliance board's held and required; and
assigned-course completion counts only what was completed by the period's end."""

from datetime import date, timedelta

import sqlalchemy as sa

from app.assessment.indicators import KINDS, Period
from app.branchlife import compliance
from app.branchlife.figures import meetings_compliance
from app.core.clock import localtoday
from app.extensions import db
from courses.assignments import AssignmentData, create_assignment
from courses.models import Course, Enrollment
from tests.assessment.conftest import meeting


def test_meeting_compliance_agrees_with_the_compliance_board(clock, create_user, org_tree):
    admin = create_user("admin")
    member = create_user(branch=org_tree["a1"])
    for month in (1, 2, 5):
        meeting(admin, org_tree["a1"], [member], date(2026, month, 3))
    db.session.commit()
    today = localtoday()
    figures = meetings_compliance(org_tree["root"].path, 2026, today)
    board = {s.branch.id: s for s in compliance.board(org_tree["root"], 2026, today)}
    assert set(figures) == set(board)
    for branch_id, status in board.items():
        required = sum(k.required for k in status.kinds)
        held = sum(min(k.held, k.required) for k in status.kinds)
        assert figures[branch_id] == (held, required)
    assert figures[org_tree["a1"].id][0] == 3  # three 党员大会, at most four due by December


def test_course_completion_of_a_past_period_leaves_out_courses_completed_after_it(
    clock, create_user, org_tree
):
    """A scheme of last year scored in January: a course finished in January was not finished by
    the period's end (the formula says 截至考核期末), and an assignment set in January asked nothing
    of last year."""
    coordinator = create_user("coordinator", "member", branch=org_tree["a"])
    trainer = create_user("trainer", branch=org_tree["a1"])
    early, late = create_user(branch=org_tree["a1"]), create_user(branch=org_tree["a1"])
    course = Course(
        title="党章党规", category="理论学习", owner_id=trainer.id, status="published", published_at=clock.now
    )
    db.session.add(course)
    db.session.flush()
    today = localtoday()
    create_assignment(
        AssignmentData(
            "年度必修", [course.id], today, today + timedelta(days=30), branch_id=org_tree["a1"].id
        ),
        coordinator,
    )
    db.session.commit()
    finished = {early.id: clock.now, late.id: clock.now + timedelta(days=20)}
    for member_id, when in finished.items():
        db.session.execute(
            sa.update(Enrollment)
            .where(Enrollment.user_id == member_id, Enrollment.course_id == course.id)
            .values(completed_at=when)
        )
    db.session.commit()
    figures = KINDS["course_completion"].figures
    ended = Period(2026, date(2026, 1, 1), date(2026, 12, 31), today + timedelta(days=40))
    assert figures(org_tree["root"].path, ended)[org_tree["a1"].id] == (1, 3)  # `late` finished in 2027
    running = Period(2027, date(2027, 1, 1), date(2027, 12, 31), today + timedelta(days=40))
    assert figures(org_tree["root"].path, running)[org_tree["a1"].id] == (2, 3)
    # An assignment set in the new year asked nothing of the old one (and nothing yet today).
    create_assignment(
        AssignmentData(
            "新年必修", [course.id], date(2027, 1, 10), date(2027, 3, 31), branch_id=org_tree["a1"].id
        ),
        coordinator,
    )
    db.session.commit()
    assert figures(org_tree["root"].path, ended)[org_tree["a1"].id] == (1, 3)
    assert figures(org_tree["root"].path, running)[org_tree["a1"].id] == (4, 6)
    on_the_day = Period(2026, date(2026, 1, 1), date(2026, 12, 31), today)
    assert figures(org_tree["root"].path, on_the_day)[org_tree["a1"].id] == (1, 3)
