"""Flipped classes: sessions, check-in (codes, QR, manual 补签) and homework."""

# Views alike in shape to other views by design, kept apart: see this package's docstring.

import io
from math import ceil

import segno
from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.core.clock import LOCAL_TZ, utcnow
from app.core.errors import DomainError, back_to, error_response, refused
from app.core.permissions import login_required, roles_required
from app.core.text import render_markdown
from app.core.urls import absolute_url
from app.extensions import db
from courses import classes as class_services
from courses import files, services
from courses.forms import (
    CheckinForm,
    HomeworkForm,
    ManualCheckinForm,
    ReviewForm,
    SessionForm,
)
from courses.models import (
    ClassSession,
    Course,
    HomeworkSubmission,
)
from courses.views import bp

# --- flipped classes ------------------------------------------------------------------------------


def _aware(value):
    """A naive datetime typed in a form (local time) → aware UTC."""
    return value.replace(tzinfo=LOCAL_TZ) if value is not None else None


def _session_data(form: SessionForm) -> class_services.SessionData:
    return class_services.SessionData(
        title=form.title.data,
        starts_at=_aware(form.starts_at.data),
        ends_at=_aware(form.ends_at.data),
        place=form.place.data or "",
        meeting_url=form.meeting_url.data or "",
        credit_minutes=form.credit_minutes.data or 0,
        homework_prompt=form.homework_prompt.data or "",
        homework_due_at=_aware(form.homework_due_at.data),
        pre_lesson_ids=form.pre_lesson_ids.data or [],
    )


def _session_form(course: Course, session: ClassSession | None = None) -> SessionForm:
    form = SessionForm(obj=session)
    form.pre_lesson_ids.choices = [(lesson.id, lesson.title) for lesson in course.lessons()]
    if session is not None and request.method == "GET":
        form.starts_at.data = session.starts_at.astimezone(LOCAL_TZ).replace(tzinfo=None)
        form.ends_at.data = session.ends_at.astimezone(LOCAL_TZ).replace(tzinfo=None)
        if session.homework_due_at:
            form.homework_due_at.data = session.homework_due_at.astimezone(LOCAL_TZ).replace(tzinfo=None)
        form.pre_lesson_ids.data = [lesson.id for lesson in session.pre_lessons]
    elif session is None and request.method == "GET":
        form.pre_lesson_ids.data = [lesson.id for lesson in course.lessons()]
    return form


@bp.route("/<int:course_id>/classes/new", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def create_session(course_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    form, status = _session_form(course), 200 if request.method == "GET" else 422
    if form.validate_on_submit():
        try:
            session = class_services.create_session(course, _session_data(form), current_user)
        except services.CourseError as exc:
            status = refused(exc, form)
        else:
            db.session.commit()
            flash(_("课堂已安排。"), "success")
            return redirect(url_for("courses.class_session", session_id=session.id))
    return render_template("courses/session_form.html", form=form, course=course, session=None), status


@bp.route("/classes/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def edit_session(session_id: int):
    session = class_services.get_session_for(session_id, current_user, edit=True)
    form, status = _session_form(session.course, session), 200 if request.method == "GET" else 422
    if form.validate_on_submit():
        try:
            class_services.update_session(session, _session_data(form), current_user)
        except services.CourseError as exc:
            status = refused(exc, form)
        else:
            db.session.commit()
            flash(_("课堂已保存。"), "success")
            return redirect(url_for("courses.class_session", session_id=session.id))
    return render_template(
        "courses/session_form.html", form=form, course=session.course, session=session
    ), status


@bp.get("/classes/<int:session_id>")
@login_required
def class_session(session_id: int):
    session = class_services.get_session_for(session_id, current_user)
    course = session.course
    is_trainer = course.can_edit(current_user)
    enrollment = services.enrollment_for(current_user, course.id)
    checkin_form = CheckinForm()
    if request.args.get("code"):
        checkin_form.code.data = request.args["code"]
        checkin_form.method.data = "qr"
    return render_template(
        "courses/session.html",
        session=session,
        course=course,
        is_trainer=is_trainer,
        enrollment=enrollment,
        owed=class_services.outstanding_lessons(session, current_user.id) if enrollment else [],
        attendance=class_services.attendance_for(session, current_user.id),
        checkin_open=class_services.checkin_is_open(session),
        checkin_form=checkin_form,
        submission=class_services.submission_for(session, current_user.id),
        homework_form=HomeworkForm(),
        roster=class_services.roster(session) if is_trainer else [],
        review_form=ReviewForm(),
        prompt_html=render_markdown(session.homework_prompt),
        now=utcnow(),
        extensions=class_services.homework_extensions(),
        max_homework_mb=current_app.config["COURSES_HOMEWORK_MAX_BYTES"] // 1024**2,
    )


@bp.post("/classes/<int:session_id>/checkin")
@login_required
def check_in(session_id: int):
    session = class_services.get_session_for(session_id, current_user)
    form = CheckinForm()
    if not form.validate_on_submit():
        flash(_("请输入签到码。"), "danger")
        return redirect(url_for("courses.class_session", session_id=session.id)), 303
    try:
        with back_to(url_for("courses.class_session", session_id=session.id) + "#checkin"):
            attendance = class_services.check_in(
                session, current_user, form.code.data, form.method.data or "code"
            )
    except class_services.CheckinLocked as exc:
        db.session.rollback()
        response = make_response(error_response(429, str(exc)))
        response.headers["Retry-After"] = str(max(1, ceil((exc.retry_at - utcnow()).total_seconds())))
        return response
    except class_services.WrongCheckinCode:
        db.session.commit()  # the failed attempt counts, though the code is refused
        raise
    db.session.commit()
    flash(_("签到成功（%(status)s）。", status=attendance.status_label), "success")
    return redirect(url_for("courses.class_session", session_id=session.id))


@bp.post("/classes/<int:session_id>/checkin/<action>")
@roles_required(Role.TRAINER)
def manage_checkin(session_id: int, action: str):
    session = class_services.get_session_for(session_id, current_user, edit=True)
    target = url_for("courses.class_session", session_id=session.id) + "#checkin"
    with back_to(target):
        if action == "open":
            class_services.open_checkin(session, current_user, request.form.get("minutes", type=int))
        elif action == "close":
            class_services.close_checkin(session, current_user)
        else:
            abort(404)
    db.session.commit()
    return redirect(target)


@bp.route("/classes/<int:session_id>/attendance/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def manual_checkin(session_id: int, user_id: int):
    """补签: a page naming the member and the class asks for the reason and a confirmation."""
    session = class_services.get_session_for(session_id, current_user, edit=True)
    member = class_services.get_member(user_id)
    form = ManualCheckinForm()
    problem, status = None, 200
    try:
        if form.validate_on_submit():
            class_services.record_manual_checkin(session, member, form.reason.data, current_user)
            db.session.commit()
            flash(_("已为 %(name)s 补签，出勤学时已计入。", name=member.name), "success")
            return redirect(url_for("courses.class_session", session_id=session.id) + "#roster")
        class_services.check_manual_checkin(session, member)
        if request.method == "POST":
            status = 422  # the reason is missing or too long: the form says which
    except services.CourseError as exc:
        db.session.rollback()
        problem, status = str(exc), exc.status
    return render_template(
        "courses/manual_checkin.html", session=session, member=member, form=form, problem=problem
    ), status


@bp.get("/classes/<int:session_id>/qr.svg")
@roles_required(Role.TRAINER)
def checkin_qr(session_id: int):
    session = class_services.get_session_for(session_id, current_user, edit=True)
    if not class_services.checkin_is_open(session):
        abort(404)
    link = absolute_url("courses.class_session", session_id=session.id, code=session.checkin_code)
    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="svg", scale=6, border=2)
    out.seek(0)
    response = send_file(out, mimetype="image/svg+xml")
    response.cache_control.no_store = True
    return response


@bp.post("/classes/<int:session_id>/homework")
@login_required
def submit_homework(session_id: int):
    session = class_services.get_session_for(session_id, current_user)
    form = HomeworkForm()
    target = url_for("courses.class_session", session_id=session.id) + "#homework"
    if not form.validate_on_submit():
        flash(_("作业内容不能超过 20000 字。"), "danger")
        return redirect(target), 303
    stored = None
    with back_to(target):
        try:
            upload = form.file.data
            if upload and getattr(upload, "filename", ""):
                stored = files.store_upload(
                    upload.stream,
                    upload.filename,
                    "homework",
                    extensions=class_services.homework_extensions(),
                    max_bytes=current_app.config["COURSES_HOMEWORK_MAX_BYTES"],
                )
            _submission, replaced = class_services.submit_homework(
                session, current_user, form.text.data, stored
            )
        except DomainError:
            if stored is not None:
                files.remove(stored.relative)  # a refused submission keeps no file
            raise
    db.session.commit()
    files.remove(replaced)
    flash(_("作业已提交。"), "success")
    return redirect(target)


def _submission_for(submission_id: int) -> HomeworkSubmission:
    submission = db.session.get(HomeworkSubmission, submission_id)
    if submission is None:
        abort(404)
    session = class_services.get_session_for(submission.session_id, current_user)
    if submission.user_id != current_user.id and not session.course.can_edit(current_user):
        abort(403)
    return submission


@bp.get("/homework/<int:submission_id>/file")
@login_required
def homework_file(submission_id: int):
    submission = _submission_for(submission_id)
    if not submission.file_path or not files.absolute(submission.file_path).is_file():
        abort(404)
    response = send_file(
        files.absolute(submission.file_path),
        as_attachment=True,
        download_name=submission.file_name or "homework",
    )
    response.cache_control.private = True
    return response


@bp.post("/homework/<int:submission_id>/review")
@roles_required(Role.TRAINER)
def review_homework(submission_id: int):
    submission = _submission_for(submission_id)
    session = db.session.get(ClassSession, submission.session_id)
    if not session.course.can_edit(current_user):
        abort(403)
    form = ReviewForm()
    target = url_for("courses.class_session", session_id=session.id) + "#roster"
    with back_to(target):
        if not form.validate_on_submit():
            raise services.CourseError(_("分数须在 0 到 100 之间。"))
        class_services.review_homework(submission, form.score.data, form.comment.data, current_user)
    db.session.commit()
    flash(_("已保存批阅。"), "success")
    return redirect(target)
