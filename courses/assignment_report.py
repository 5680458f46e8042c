"""Assigned-course completion per (member's branch, course), for records' coordinator dashboard.

Completion and the overdue rule (:func:`courses.assignments.is_past_due`) belong to courses;
records rolls the tallies up the branch tree. Registered with :mod:`app.records.sources` by
``courses.services.connect()``, so that records never imports courses.
"""

from datetime import date, timedelta

import sqlalchemy as sa

from app.accounts.models import User
from app.core.clock import day_starts_at
from app.extensions import db
from app.records.sources import AssignedCourses, AssignedTally
from courses.assignments import is_past_due
from courses.models import AssignmentCourse, AssignmentMember, Course, CourseAssignment, Enrollment


def assigned_course_tallies(today: date, member_conditions: list) -> AssignedCourses:
    """Assigned member × course pairs per (member's branch, course) for the active members matching
    ``member_conditions``, with how many are completed and overdue — what records' coordinator
    dashboard rolls up the tree (registered with :mod:`app.records.sources` by ``connect()``).

    Never a join over every pair (50,000 members × 20 courses is a million): the pairs are counted
    as members per (branch, assignment) times the assignment's courses, and only the completed
    enrolments are joined to the assignments they belong to. As of ``today``: an assignment that
    starts later asks nothing yet, and a course completed later is not completed yet (a past
    period scored later counts what was set and done by its end)."""
    day_after = day_starts_at(today + timedelta(days=1))
    assigned = db.session.execute(
        sa.select(User.branch_id, AssignmentMember.assignment_id, sa.func.count())
        .join(User, User.id == AssignmentMember.user_id)
        .where(*member_conditions)
        .group_by(User.branch_id, AssignmentMember.assignment_id)
    ).all()
    courses_of: dict[int, list[tuple[int, bool]]] = {}
    for assignment_id, course_id, due_on in db.session.execute(
        sa.select(AssignmentCourse.assignment_id, AssignmentCourse.course_id, CourseAssignment.due_on)
        .join(CourseAssignment, CourseAssignment.id == AssignmentCourse.assignment_id)
        .where(
            AssignmentCourse.assignment_id.in_({a for _, a, _ in assigned}),
            CourseAssignment.start_on <= today,
        )
    ):
        courses_of.setdefault(assignment_id, []).append((course_id, is_past_due(due_on, today)))
    completed = db.session.execute(
        sa.select(User.branch_id, Enrollment.course_id, CourseAssignment.due_on, sa.func.count())
        .select_from(Enrollment)
        .join(AssignmentMember, AssignmentMember.user_id == Enrollment.user_id)
        .join(
            AssignmentCourse,
            sa.and_(
                AssignmentCourse.assignment_id == AssignmentMember.assignment_id,
                AssignmentCourse.course_id == Enrollment.course_id,
            ),
        )
        .join(CourseAssignment, CourseAssignment.id == AssignmentMember.assignment_id)
        .join(User, User.id == Enrollment.user_id)
        .where(Enrollment.completed_at < day_after, CourseAssignment.start_on <= today, *member_conditions)
        .group_by(User.branch_id, Enrollment.course_id, CourseAssignment.due_on)
    ).all()

    # (branch id, course id) → [pairs, completed, overdue]; a completed pair is not overdue
    tally: dict[tuple[int, int], list[int]] = {}
    for branch_id, assignment_id, members in assigned:
        for course_id, past_due in courses_of.get(assignment_id, []):
            counts = tally.setdefault((branch_id, course_id), [0, 0, 0])
            counts[0] += members
            counts[2] += members if past_due else 0
    for branch_id, course_id, due_on, done in completed:
        counts = tally.setdefault((branch_id, course_id), [0, 0, 0])
        counts[1] += done
        counts[2] -= done if is_past_due(due_on, today) else 0
    course_ids = {course_id for _branch, course_id in tally}
    titles = dict(
        db.session.execute(sa.select(Course.id, Course.title).where(Course.id.in_(course_ids))).all()
    )
    return AssignedCourses(
        [AssignedTally(b, c, *counts) for (b, c), counts in tally.items()],
        titles,
    )
