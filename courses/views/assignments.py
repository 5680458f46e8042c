"""Coordinators: assigning courses (学习任务) to branches and members."""

# Views alike in shape to other views by design, kept apart: see this package's docstring.

import sqlalchemy as sa
from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.accounts.services import find_user_by_login
from app.core.clock import localtoday
from app.core.errors import refused
from app.core.permissions import roles_required
from app.extensions import db
from app.org import services as org_services
from courses import assignments as assignment_services
from courses import services
from courses.forms import (
    AssignmentForm,
)
from courses.models import (
    Course,
    CourseStatus,
)
from courses.views import bp, per_page

# --- assignments (coordinators) -------------------------------------------------------------------


@bp.get("/assignments")
@roles_required(Role.COORDINATOR)
def assignments():
    page = db.paginate(
        assignment_services.assignments_query(current_user), per_page=per_page(), error_out=False
    )
    return render_template(
        "courses/assignments.html", page=page, summaries=assignment_services.summaries(list(page.items))
    )


def _branch_choices():
    branches = org_services.ordered_tree(org_services.visible_branches(current_user))
    base = min((b.depth for b in branches), default=0)
    return [(0, _("（不按组织，只给下面指定的成员）"))] + [
        (b.id, "　" * (b.depth - base) + b.name) for b in branches
    ]


def _assignment_form() -> AssignmentForm:
    form = AssignmentForm()
    published = db.session.scalars(
        sa.select(Course)
        .where(Course.status == CourseStatus.PUBLISHED)
        .order_by(Course.is_required.desc(), Course.title)
    ).all()
    form.course_ids.choices = [
        (c.id, _("%(title)s（%(hours)s 学时）", title=c.title, hours=c.credit_hours)) for c in published
    ]
    form.branch_id.choices = _branch_choices()
    if request.method == "GET":
        form.start_on.data = localtoday()
        if request.args.get("course", type=int):
            form.course_ids.data = [request.args.get("course", type=int)]
    return form


def _members_named(text: str) -> list[int]:
    """The ids of the members whose 工号 (or login) ``text`` lists, split by commas or lines."""
    numbers = [n for n in (text or "").replace("，", ",").replace("\n", ",").split(",") if n.strip()]
    member_ids, unknown = [], []
    for number in numbers:
        user = find_user_by_login(number.strip())
        (member_ids.append(user.id) if user else unknown.append(number.strip()))
    if unknown:
        raise services.CourseError(_("找不到这些工号：%(numbers)s", numbers="、".join(unknown[:10])))
    return member_ids


@bp.route("/assignments/new", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def create_assignment():
    form, status = _assignment_form(), 200 if request.method == "GET" else 422
    if form.validate_on_submit():
        try:
            assignment = assignment_services.create_assignment(
                assignment_services.AssignmentData(
                    title=form.title.data,
                    course_ids=form.course_ids.data or [],
                    start_on=form.start_on.data,
                    due_on=form.due_on.data,
                    branch_id=form.branch_id.data or None,
                    member_ids=_members_named(form.members.data),
                    note=form.note.data or "",
                ),
                current_user,
            )
        except services.CourseError as exc:
            status = refused(exc, form)
        else:
            db.session.commit()
            flash(_("学习任务已布置，相关成员已加入课程并收到通知。"), "success")
            return redirect(url_for("courses.assignment_detail", assignment_id=assignment.id))
    return render_template("courses/assignment_form.html", form=form), status


@bp.get("/assignments/<int:assignment_id>")
@roles_required(Role.COORDINATOR)
def assignment_detail(assignment_id: int):
    assignment = assignment_services.get_assignment_for(assignment_id, current_user)
    page, rows = assignment_services.member_statuses(
        assignment, request.args.get("page", 1, type=int), per_page()
    )
    summary = assignment_services.summaries([assignment])[0]
    return render_template(
        "courses/assignment.html", assignment=assignment, page=page, rows=rows, summary=summary
    )
