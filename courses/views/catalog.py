"""Members: the catalog, my learning, the course page, enrolment and covers."""

# Views alike in shape to other views by design, kept apart: see this package's docstring.

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.core.errors import back_to
from app.core.permissions import login_required, roles_required
from app.core.text import render_markdown
from app.extensions import db
from courses import assignments as assignment_services
from courses import classes as class_services
from courses import files, services
from courses.models import (
    CATEGORIES,
    KIND_LABELS,
    Course,
)
from courses.views import bp, per_page

# --- catalog, my learning, course page ------------------------------------------------------------


@bp.get("/")
@login_required
def catalog():
    args = request.args
    query = services.catalog_query_from(args)
    page = db.paginate(query, per_page=per_page(), error_out=False)
    q = (args.get("q") or "").strip()
    full_search = "search.index" in current_app.view_functions and q
    return render_template(
        "courses/catalog.html",
        page=page,
        full_search_url=url_for("search.index", q=q, type="course") if full_search else None,
        learners=services.learner_counts([c.id for c in page.items]),
        categories=CATEGORIES,
        kinds=KIND_LABELS,
        sorts=services.SORTS,
    )


@bp.get("/my")
@login_required
def my_learning():
    mine = services.my_courses(current_user)
    assigned = assignment_services.assigned_courses(current_user.id)
    tab = request.args.get("tab", "progress")
    return render_template(
        "courses/my_learning.html",
        in_progress=[c for c in mine if c.enrollment.completed_at is None],
        completed=[c for c in mine if c.enrollment.completed_at is not None],
        assigned=assigned,
        tab=tab if tab in ("progress", "completed", "assigned") else "progress",
    )


def _course_page(course: Course, *, preview: bool = False):
    enrollment = None if preview else services.enrollment_for(current_user, course.id)
    outline = services.course_outline(course, current_user.id if enrollment else None)
    resume = outline.resume_row(enrollment.last_lesson_id) if enrollment else None
    dues = assignment_services.due_dates_for(current_user.id, [course.id]) if enrollment else {}
    sessions = []
    if course.is_flipped:
        for session in course.sessions:
            owed = class_services.outstanding_lessons(session, current_user.id) if enrollment else []
            sessions.append((session, owed, class_services.attendance_for(session, current_user.id)))
    learners = services.learner_counts([course.id]).get(course.id, 0)
    return render_template(
        "courses/course.html",
        course=course,
        outline=outline,
        enrollment=enrollment,
        resume=resume,
        due_on=dues.get(course.id),
        sessions=sessions,
        summary_html=render_markdown(course.summary),
        learners=learners,
        preview=preview,
        can_edit=course.can_edit(current_user),
        is_teacher=course.is_trainer(current_user),
        hours_changes=services.credit_hours_changes(course) if course.can_edit(current_user) else [],
    )


@bp.get("/<int:course_id>")
@login_required
def course_detail(course_id: int):
    course = services.get_course_for(course_id, current_user)
    return _course_page(course)


@bp.get("/<int:course_id>/preview")
@roles_required(Role.TRAINER)
def preview(course_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    return _course_page(course, preview=True)


@bp.post("/<int:course_id>/enrol")
@login_required
def enrol(course_id: int):
    course = services.get_course_for(course_id, current_user)
    with back_to(url_for("courses.course_detail", course_id=course.id)):
        services.enrol(course, current_user)
    db.session.commit()
    flash(_("已加入课程《%(title)s》，开始学习吧。", title=course.title), "success")
    return redirect(url_for("courses.course_detail", course_id=course.id))


@bp.get("/<int:course_id>/cover")
@login_required
def cover(course_id: int):
    course = services.get_course_for(course_id, current_user)
    if not course.cover_path:
        abort(404)
    path = files.absolute(course.cover_path)
    if not path.is_file():
        abort(404)
    response = send_file(
        path, mimetype=files.MIME_TYPES[files.extension_of(path.name)], conditional=True, max_age=86400
    )
    response.cache_control.private = True
    return response
