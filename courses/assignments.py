"""Assignments (学习任务): a coordinator assigns published courses to a branch subtree or to
chosen members, with a start and a due date; reminders before and after the due date.
Members who arrive in an assigned subtree while the assignment is open (a new account, a move
from another branch) join it as if they had been there (:func:`add_newcomer`).

Overdue is never stored: an assigned member is overdue when today (Asia/Shanghai) is after the
due date and one of the assignment's courses is not completed (:func:`is_past_due`). Reminders
are in :mod:`courses.reminders`.
"""

import logging
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import User
from app.core import audit
from app.core.clock import localtoday, utcnow
from app.core.signals import notification_requested
from app.core.transactions import insert_or_skip
from app.core.types import UTCDateTime
from app.core.urls import site_path
from app.extensions import db
from app.org.models import Branch
from app.org.services import can_manage_branch, scope_path
from courses.models import (
    AssignmentCourse,
    AssignmentMember,
    Course,
    CourseAssignment,
    CourseStatus,
    Enrollment,
)
from courses.services.base import CourseError

logger = logging.getLogger(__name__)
BATCH = 500


def can_assign(user) -> bool:
    return scope_path(user) is not None


def assignments_query(user: User):
    """Assignments ``user`` may see: those made in their subtree (every one for admins)."""
    prefix = scope_path(user)
    if prefix is None:
        raise Forbidden(_("只有组织员可以管理学习任务。"))
    query = sa.select(CourseAssignment).order_by(CourseAssignment.due_on.desc(), CourseAssignment.id.desc())
    if prefix:
        in_scope = sa.select(Branch.id).where(Branch.subtree_filter(prefix))
        query = query.where(
            sa.or_(CourseAssignment.branch_id.in_(in_scope), CourseAssignment.created_by_id == user.id)
        )
    return query


def get_assignment_for(assignment_id: int, user: User) -> CourseAssignment:
    assignment = db.session.get(CourseAssignment, assignment_id)
    if assignment is None:
        raise NotFound(_("学习任务不存在。"))
    if scope_path(user) is None:
        raise Forbidden()
    if (
        not user.is_admin
        and assignment.created_by_id != user.id
        and (assignment.branch is None or not can_manage_branch(user, assignment.branch))
    ):
        raise Forbidden(_("该学习任务不在您管理的组织范围内。"))
    return assignment


@dataclass
class AssignmentData:
    title: str
    course_ids: list[int]
    start_on: date
    due_on: date
    branch_id: int | None = None
    member_ids: list[int] = field(default_factory=list)
    note: str = ""


def create_assignment(data: AssignmentData, actor: User) -> CourseAssignment:
    """Assign courses; every member in scope is enrolled at once and notified."""
    if not can_assign(actor):
        raise Forbidden(_("只有组织员可以布置学习任务。"))
    title = (data.title or "").strip()
    if not title or len(title) > 120:
        raise CourseError(_("请填写任务名称（不超过 120 个字）。"))
    if not data.course_ids:
        raise CourseError(_("请至少选择一门课程。"))
    courses = db.session.scalars(sa.select(Course).where(Course.id.in_(set(data.course_ids)))).all()
    if len(courses) != len(set(data.course_ids)) or any(c.status != CourseStatus.PUBLISHED for c in courses):
        raise CourseError(_("只能布置已发布的课程。"))
    if data.start_on is None or data.due_on is None or data.due_on < data.start_on:
        raise CourseError(_("截止日期不能早于开始日期。"))
    if data.due_on < localtoday():
        raise CourseError(_("截止日期不能早于今天。"))

    branch = None
    if data.branch_id:
        branch = db.session.get(Branch, data.branch_id)
        if branch is None:
            raise CourseError(_("所选组织不存在。"))
        if not can_manage_branch(actor, branch):
            raise Forbidden(_("只能向您管理的组织及其下级组织布置学习任务。"))
    members = []
    if data.member_ids:
        members = db.session.scalars(sa.select(User).where(User.id.in_(set(data.member_ids)))).all()
        if len(members) != len(set(data.member_ids)):
            raise CourseError(_("所选成员中有不存在的账户。"))
        outside = [
            m
            for m in members
            if not (actor.is_admin or (m.branch is not None and can_manage_branch(actor, m.branch)))
        ]
        if outside:
            raise Forbidden(
                _(
                    "只能向您管理范围内的成员布置学习任务：%(members)s",
                    members="、".join(str(m) for m in outside[:5]),
                )
            )
    if branch is None and not members:
        raise CourseError(_("请选择组织，或选择具体成员。"))

    assignment = CourseAssignment(
        title=title,
        note=(data.note or "").strip(),
        branch_id=branch.id if branch else None,
        start_on=data.start_on,
        due_on=data.due_on,
        created_by_id=actor.id,
    )
    db.session.add(assignment)
    db.session.flush()
    db.session.execute(
        sa.insert(AssignmentCourse), [{"assignment_id": assignment.id, "course_id": c.id} for c in courses]
    )

    # Members: the subtree's active accounts plus the ones chosen.
    member_ids = []
    if branch is not None:
        member_ids += _add_members(assignment, courses, _active_in_subtree(branch.path))
    if members:
        member_ids += _add_members(
            assignment, courses, sa.select(User.id).where(User.id.in_(set(data.member_ids)))
        )
    audit.record(
        actor,
        "course.assign",
        assignment,
        f"布置学习任务「{title}」：{len(courses)} 门课程，{len(member_ids)} 名成员，{data.due_on} 截止",
        {"courses": [c.id for c in courses], "branch": assignment.branch_id, "members": len(member_ids)},
    )
    _announce(assignment, courses, member_ids)
    return assignment


def _active_in_subtree(path: str):
    """SQL: the ids of the active accounts in the branch at ``path`` and below it."""
    return (
        sa.select(User.id)
        .join(Branch, Branch.id == User.branch_id)
        .where(Branch.subtree_filter(path), User.is_active_account.is_(True))
    )


def _add_members(assignment: CourseAssignment, courses: list[Course], candidates) -> list[int]:
    """Make the users ``candidates`` selects (one column of user ids) members of ``assignment``
    and enrol each in ``courses`` (source "assignment") unless already enrolled. Members already
    there are left alone and enrolments are never doubled, so adding someone twice adds nothing,
    even from two processes at once. Returns the ids that became members now."""
    candidates = candidates.subquery()
    user_id = next(iter(candidates.c))
    not_yet_member = ~sa.exists().where(
        AssignmentMember.assignment_id == assignment.id, AssignmentMember.user_id == user_id
    )
    added = list(
        db.session.scalars(
            insert_or_skip(AssignmentMember, ["assignment_id", "user_id"])
            .from_select(
                ["assignment_id", "user_id"],
                sa.select(sa.literal(assignment.id), user_id).where(not_yet_member),
            )
            .returning(AssignmentMember.user_id)
        )
    )
    now = utcnow()
    for course in courses:
        not_enrolled = sa.select(
            sa.literal(course.id),
            AssignmentMember.user_id,
            sa.literal(now, UTCDateTime),
            sa.literal("assignment"),
        ).where(
            AssignmentMember.assignment_id == assignment.id,
            AssignmentMember.user_id.in_(sa.select(user_id)),
            ~sa.exists().where(
                Enrollment.course_id == course.id, Enrollment.user_id == AssignmentMember.user_id
            ),
        )
        db.session.execute(
            insert_or_skip(Enrollment, ["course_id", "user_id"]).from_select(
                ["course_id", "user_id", "enrolled_at", "source"], not_enrolled
            )
        )
    db.session.flush()
    return added


def _announce(assignment: CourseAssignment, courses: list[Course], user_ids: list[int]) -> None:
    notify_members(
        user_ids,
        "新的学习任务",
        f"「{assignment.title}」：{'、'.join('《' + c.title + '》' for c in courses)}，"
        f"请于 {assignment.due_on} 前完成。",
        "course.assigned",
    )


def add_newcomer(user: User, actor: User | None) -> list[CourseAssignment]:
    """Add a member who has just arrived in a branch (a new account, or one moved there) to every
    still-open assignment made to a subtree containing that branch: see :func:`add_newcomers`."""
    return add_newcomers([user.id], actor)


def add_newcomers(user_ids: list[int], actor: User | None) -> list[CourseAssignment]:
    """Add members who have just arrived in a branch (new accounts, accounts moved there, or a bulk
    import of either) to every still-open assignment made to a subtree containing their branch, as if
    they had been there when it was assigned: a member row, enrolment in its courses, a
    notification. Closed assignments (due date before today) and assignments to chosen members pick
    up nobody; inactive accounts are not added, as at assignment time. Running it again for the same
    members adds nothing. A few statements per open assignment and course for every 500 members.

    Members who move out of a subtree keep the assignments they had: the assignment is part of
    their learning history, and their completion (or not) stays on its record."""
    if not user_ids:
        return []
    open_assignments = db.session.scalars(
        sa.select(CourseAssignment)
        .where(CourseAssignment.branch_id.is_not(None), CourseAssignment.due_on >= localtoday())
        .order_by(CourseAssignment.id)
    ).all()
    joined = []
    for assignment in open_assignments:
        courses = list(assignment.courses)
        added = []
        for start in range(0, len(user_ids), BATCH):  # an import brings up to 50,000
            chunk = user_ids[start : start + BATCH]
            added += _add_members(
                assignment, courses, _active_in_subtree(assignment.branch.path).where(User.id.in_(chunk))
            )
        if not added:
            continue
        joined.append(assignment)
        names = "、".join(
            str(u)
            for u in db.session.scalars(sa.select(User).where(User.id.in_(added[:5])).order_by(User.id))
        )
        more = f" 等 {len(added)} 人" if len(added) > 5 else ""
        audit.record(
            actor,
            "course.assign.join",
            assignment,
            f"{names}{more} 进入「{assignment.branch.name}」范围，加入学习任务「{assignment.title}」",
            {"count": len(added), "users": added[:100]},
        )
        _announce(assignment, courses, added)
    return joined


def on_members_imported(sender, user_ids=(), actor=None, **_extra) -> None:
    """Receiver of ``members_imported``: the created and the moved accounts of a bulk import."""
    add_newcomers(list(user_ids), actor)


def on_user_arrived(sender, actor=None, **_extra) -> None:
    """Receiver of ``user_created`` and ``user_branch_changed`` (the sender is the account)."""
    add_newcomer(sender, actor)


def notify_members(user_ids: list[int], title: str, body: str, kind: str) -> None:
    url = site_path("courses.my_learning")
    for start in range(0, len(user_ids), BATCH):
        notification_requested.send(
            "courses", user_ids=user_ids[start : start + BATCH], title=title, body=body, url=url, kind=kind
        )


# --- completion and overdue (derived) -------------------------------------------------------------


def is_past_due(due_on: date, today: date | None = None) -> bool:
    """The overdue rule, in one place: a member is late once today (Asia/Shanghai) is after the
    due date and the course (or one of the assignment's courses) is not completed."""
    return (today or localtoday()) > due_on


def incomplete_course_exists(assignment_id, user_id_column):
    """SQL: the member has a course of the assignment not completed."""
    completed = (
        sa.select(Enrollment.id)
        .where(
            Enrollment.course_id == AssignmentCourse.course_id,
            Enrollment.user_id == user_id_column,
            Enrollment.completed_at.is_not(None),
        )
        .correlate_except(Enrollment)  # the member comes from the outermost query, two levels up
        .exists()
    )
    return (
        sa.select(AssignmentCourse.course_id)
        .where(AssignmentCourse.assignment_id == assignment_id, ~completed)
        .correlate_except(AssignmentCourse)
        .exists()
    )


@dataclass
class AssignmentSummary:
    assignment: CourseAssignment
    members: int
    completed: int

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.members) if self.members else 0

    @property
    def is_overdue(self) -> bool:
        return is_past_due(self.assignment.due_on) and self.completed < self.members


def summaries(assignments: list[CourseAssignment]) -> list[AssignmentSummary]:
    """Members and members done per assignment: one grouped query for the whole page."""
    if not assignments:
        return []
    ids = [a.id for a in assignments]
    done = ~incomplete_course_exists(AssignmentMember.assignment_id, AssignmentMember.user_id)
    rows = db.session.execute(
        sa.select(
            AssignmentMember.assignment_id,
            sa.func.count(),
            sa.func.sum(sa.case((done, 1), else_=0)),
        )
        .where(AssignmentMember.assignment_id.in_(ids))
        .group_by(AssignmentMember.assignment_id)
    ).all()
    by_id = {row[0]: (row[1], int(row[2] or 0)) for row in rows}
    return [AssignmentSummary(a, *by_id.get(a.id, (0, 0))) for a in assignments]


@dataclass
class MemberStatus:
    user: User
    done_courses: int
    total_courses: int
    completed: bool
    overdue: bool


def member_statuses(assignment: CourseAssignment, page: int, per_page: int):
    """A page of the assignment's members (by branch), with how many of its courses each completed."""
    total_courses = len(assignment.courses)
    query = (
        sa.select(User)
        .join(AssignmentMember, AssignmentMember.user_id == User.id)
        .outerjoin(Branch, Branch.id == User.branch_id)
        .where(AssignmentMember.assignment_id == assignment.id)
        .order_by(Branch.path, User.employee_no)
    )
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    ids = [u.id for u in pagination.items]
    done = (
        dict(
            db.session.execute(
                sa.select(Enrollment.user_id, sa.func.count())
                .join(AssignmentCourse, AssignmentCourse.course_id == Enrollment.course_id)
                .where(
                    AssignmentCourse.assignment_id == assignment.id,
                    Enrollment.user_id.in_(ids),
                    Enrollment.completed_at.is_not(None),
                )
                .group_by(Enrollment.user_id)
            ).all()
        )
        if ids
        else {}
    )
    past_due = is_past_due(assignment.due_on)
    statuses = []
    for user in pagination.items:
        count = done.get(user.id, 0)
        statuses.append(
            MemberStatus(
                user, count, total_courses, count >= total_courses, past_due and count < total_courses
            )
        )
    return pagination, statuses


def due_dates_for(user_id: int, course_ids: list[int]) -> dict[int, date]:
    """The earliest due date of an assignment naming each course for this member."""
    if not course_ids:
        return {}
    rows = db.session.execute(
        sa.select(AssignmentCourse.course_id, sa.func.min(CourseAssignment.due_on))
        .join(CourseAssignment, CourseAssignment.id == AssignmentCourse.assignment_id)
        .join(AssignmentMember, AssignmentMember.assignment_id == CourseAssignment.id)
        .where(AssignmentMember.user_id == user_id, AssignmentCourse.course_id.in_(course_ids))
        .group_by(AssignmentCourse.course_id)
    ).all()
    return dict(rows)


@dataclass
class AssignedCourse:
    assignment: CourseAssignment
    course: Course
    completed: bool

    @property
    def days_left(self) -> int:
        return (self.assignment.due_on - localtoday()).days

    @property
    def is_overdue(self) -> bool:
        return not self.completed and is_past_due(self.assignment.due_on)


def assigned_courses(user_id: int, *, open_only: bool = False) -> list[AssignedCourse]:
    """Every (assignment, course) given to the member, soonest due first."""
    query = (
        sa.select(CourseAssignment, Course, Enrollment.completed_at)
        .join(AssignmentMember, AssignmentMember.assignment_id == CourseAssignment.id)
        .join(AssignmentCourse, AssignmentCourse.assignment_id == CourseAssignment.id)
        .join(Course, Course.id == AssignmentCourse.course_id)
        .outerjoin(Enrollment, sa.and_(Enrollment.course_id == Course.id, Enrollment.user_id == user_id))
        .where(AssignmentMember.user_id == user_id)
        .order_by(CourseAssignment.due_on, Course.id)
    )
    if open_only:
        query = query.where(Enrollment.completed_at.is_(None))
    return [AssignedCourse(a, c, done is not None) for a, c, done in db.session.execute(query).all()]
