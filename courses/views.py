"""Course pages: the catalog, my learning, the course page and the lesson player for members;
authoring for trainers; flipped-class sessions; assignments for coordinators.

Every view loads what the URL names through a ``get_*_for`` helper (404 / 403), validates, calls
one service, commits, and renders or redirects.
"""

import io
from decimal import Decimal
from math import ceil

import segno
import sqlalchemy as sa
from flask import (
    Blueprint,
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

from app.accounts.models import Role, User
from app.accounts.services import find_user_by_login
from app.core.clock import LOCAL_TZ, localtoday, utcnow
from app.core.errors import error_response
from app.core.permissions import login_required, roles_required
from app.core.text import render_markdown
from app.core.urls import id_from
from app.extensions import db
from app.org import services as org_services
from app.portal.panels import register_panel
from courses import assignments as assignment_services
from courses import classes as class_services
from courses import discussion, files, services
from courses.forms import (
    AssignmentForm,
    ChapterForm,
    CheckinForm,
    CommentForm,
    CoTrainerForm,
    CourseForm,
    HomeworkForm,
    LessonForm,
    ManualCheckinForm,
    ReviewForm,
    SessionForm,
)
from courses.models import (
    CATEGORIES,
    KIND_LABELS,
    ClassSession,
    Course,
    CourseStatus,
    HomeworkSubmission,
    LessonKind,
)
from media_pipeline.models import AssetStatus, MediaAsset
from media_pipeline.views import asset_urls

bp = Blueprint(
    "courses",
    __name__,
    url_prefix="/courses",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)


def register_panels() -> None:
    register_panel("courses.learning", member_panel, roles=("member",), order=10)
    register_panel("courses.teaching", trainer_panel, roles=("trainer",), order=20)


def _per_page() -> int:
    return current_app.config["ITEMS_PER_PAGE"]


# --- home-page panels -----------------------------------------------------------------------------


def member_panel(user):
    assigned = assignment_services.assigned_courses(user.id, open_only=True)[:5]
    recent = [c for c in services.my_courses(user) if c.enrollment.completed_at is None][:3]
    return "courses/_panel_member.html", {"assigned": assigned, "recent": recent}


def trainer_panel(user):
    courses = db.session.scalars(services.trainer_courses_query(user).limit(5)).all()
    return "courses/_panel_trainer.html", {
        "courses": courses,
        "pending": services.pending_media_lessons(user, 10),
    }


# --- catalog, my learning, course page ------------------------------------------------------------


@bp.get("/")
@login_required
def catalog():
    args = request.args
    query = services.catalog_query(
        category=args.get("category"),
        required=args.get("required"),
        kind=args.get("kind"),
        q=args.get("q"),
        tag=args.get("tag"),
        sort=args.get("sort", "newest"),
    )
    page = db.paginate(query, per_page=_per_page(), error_out=False)
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
    try:
        services.enrol(course, current_user)
    except services.CourseError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("courses.course_detail", course_id=course.id))
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


# --- the lesson player ----------------------------------------------------------------------------


@bp.get("/lessons/<int:lesson_id>")
@login_required
def lesson(lesson_id: int):
    lesson = services.get_lesson_for(lesson_id, current_user)
    course = lesson.course
    enrollment = services.enrollment_for(current_user, course.id)
    # Its trainers preview a course, enrolled or not: they earn no hours from what they teach.
    preview = course.is_trainer(current_user) or (enrollment is None and course.can_edit(current_user))
    if enrollment is None and not preview:
        try:
            enrollment = services.enrol(course, current_user)  # starting a lesson is enrolling
        except services.CourseError as exc:
            flash(str(exc), "danger")
            return redirect(url_for("courses.course_detail", course_id=course.id))
    if preview:
        enrollment = None
    if enrollment is not None:
        services.note_lesson_opened(enrollment, lesson)
        db.session.commit()
    outline = services.course_outline(course, current_user.id if enrollment else None)
    row = next(r for r in outline.rows if r.lesson.id == lesson.id)
    previous, following = services.neighbours(course, lesson)
    asset = db.session.get(MediaAsset, lesson.media_asset_id) if lesson.media_asset_id else None
    media = None
    if asset is not None and asset.status == AssetStatus.READY:
        media = {
            "urls": asset_urls(asset),
            "renditions": sorted({r.height for r in asset.hls_variants() if r.height}, reverse=True),
            "audio_only": asset.is_audio_only,
        }
    config = current_app.config
    return render_template(
        "courses/lesson.html",
        course=course,
        lesson=lesson,
        row=row,
        outline=outline,
        media=media,
        previous=previous,
        following=following,
        preview=preview,
        resume=row.progress.last_position if row.progress and not row.completed else 0,
        body_html=render_markdown(lesson.body),
        max_rate=config["COURSES_PLAYER_MAX_RATE"],
        heartbeat_seconds=config["HEARTBEAT_INTERVAL_SECONDS"],
        comments=discussion.thread(lesson, current_user),
        comment_form=CommentForm(),
        can_discuss=discussion.can_discuss(current_user, course),
        can_moderate=course.can_edit(current_user),
    )


@bp.get("/lessons/<int:lesson_id>/document")
@login_required
def lesson_document(lesson_id: int):
    lesson = services.get_lesson_for(lesson_id, current_user)
    course = lesson.course
    if not course.can_edit(current_user) and services.enrollment_for(current_user, course.id) is None:
        abort(403)
    if not lesson.document_path or not files.absolute(lesson.document_path).is_file():
        abort(404)
    response = send_file(
        files.absolute(lesson.document_path),
        mimetype="application/pdf",
        conditional=True,
        download_name=lesson.document_name or "document.pdf",
    )
    response.cache_control.private = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --- discussion -----------------------------------------------------------------------------------


@bp.post("/lessons/<int:lesson_id>/comments")
@login_required
def add_comment(lesson_id: int):
    lesson = services.get_lesson_for(lesson_id, current_user)
    form = CommentForm()
    target = url_for("courses.lesson", lesson_id=lesson.id) + "#discussion"
    if not form.validate_on_submit():
        flash(_("请输入评论内容（不超过 2000 字）。"), "danger")
        return redirect(target)
    parent = None
    if form.parent_id.data:
        parent_id = id_from(form.parent_id.data)
        if parent_id is None:
            abort(404, description=_("要回复的评论不存在。"))
        parent = discussion.get_comment_for(parent_id, current_user)
    try:
        comment = discussion.add_comment(lesson, current_user, form.body.data, parent)
    except services.CourseError as exc:
        flash(str(exc), "danger")
        return redirect(target)
    db.session.commit()
    return redirect(url_for("courses.lesson", lesson_id=lesson.id) + f"#comment-{comment.id}")


@bp.post("/comments/<int:comment_id>/<action>")
@login_required
def moderate_comment(comment_id: int, action: str):
    comment = discussion.get_comment_for(comment_id, current_user)
    try:
        if action == "report":
            discussion.report_comment(comment, current_user, request.form.get("reason", ""))
            message = _("已举报，讲师会尽快处理。")
        elif action in ("highlight", "unhighlight"):
            discussion.set_highlight(comment, current_user, action == "highlight")
            message = _("已精选。") if action == "highlight" else _("已取消精选。")
        elif action in ("hide", "unhide"):
            discussion.hide_comment(comment, current_user, action == "hide")
            message = _("评论已隐藏。") if action == "hide" else _("评论已恢复。")
        else:
            abort(404)
    except services.CourseError as exc:
        flash(str(exc), "warning")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(url_for("courses.lesson", lesson_id=comment.lesson_id) + f"#comment-{comment.id}")


# --- trainer authoring ----------------------------------------------------------------------------


@bp.get("/manage")
@roles_required(Role.TRAINER)
def manage():
    page = db.paginate(services.trainer_courses_query(current_user), per_page=_per_page(), error_out=False)
    return render_template(
        "courses/manage.html", page=page, pending=services.pending_media_lessons(current_user, 50)
    )


def _course_data(form: CourseForm) -> services.CourseData:
    return services.CourseData(
        title=form.title.data,
        summary=form.summary.data or "",
        category=form.category.data,
        tags=form.tags.data or "",
        credit_hours=form.credit_hours.data if form.credit_hours.data is not None else Decimal("0"),
        kind=form.kind.data,
        is_required=form.is_required.data,
    )


def _store_cover(form: CourseForm, course: Course) -> str | None:
    upload = form.cover.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    stored = files.store_upload(
        upload.stream,
        upload.filename,
        "covers",
        extensions=files.COVER_EXTENSIONS,
        max_bytes=current_app.config["COURSES_COVER_MAX_BYTES"],
    )
    return services.set_cover(course, stored, current_user)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def create_course():
    form = CourseForm()
    if form.validate_on_submit():
        try:
            course = services.create_course(_course_data(form), current_user)
            _store_cover(form, course)
        except (services.CourseError, files.FileRefused) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("课程已创建。接下来添加章节和课时。"), "success")
            return redirect(url_for("courses.edit_course", course_id=course.id))
    return render_template(
        "courses/course_form.html", form=form, course=None
    ), 200 if request.method == "GET" else 400


@bp.route("/<int:course_id>/edit", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def edit_course(course_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    form, refused = CourseForm(obj=course), 400
    if request.method == "GET":
        form.tags.data = "，".join(course.tag_list)
        form.kind.data = course.kind.value
    if form.validate_on_submit():
        try:
            services.update_course(course, _course_data(form), current_user)
            old_cover = _store_cover(form, course)
        except (services.CourseError, files.FileRefused) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            refused = 422 if isinstance(exc, services.SharesDisagree) else 400
        else:
            db.session.commit()
            files.remove(old_cover)
            flash(_("课程信息已保存。"), "success")
            return redirect(url_for("courses.edit_course", course_id=course.id))
    outline = services.course_outline(course, None)
    return render_template(
        "courses/course_edit.html",
        course=course,
        form=form,
        outline=outline,
        chapter_form=ChapterForm(),
        trainer_form=CoTrainerForm(),
        problems=services.publish_problems(course) if course.status == CourseStatus.DRAFT else [],
    ), 200 if request.method == "GET" else refused


@bp.post("/<int:course_id>/publish")
@roles_required(Role.TRAINER)
def publish(course_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    try:
        services.publish_course(course, current_user)
    except services.CourseError as exc:
        flash(str(exc), "danger")
        return redirect(url_for("courses.edit_course", course_id=course.id)), 303
    db.session.commit()
    flash(_("课程已发布，学员现在可以在课程中心看到它。"), "success")
    return redirect(url_for("courses.edit_course", course_id=course.id))


@bp.post("/<int:course_id>/archive")
@roles_required(Role.TRAINER)
def archive(course_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    try:
        services.archive_course(course, current_user)
    except services.CourseError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("课程已归档：不再出现在课程中心，已加入的学员仍可学完。"), "success")
    return redirect(url_for("courses.edit_course", course_id=course.id))


@bp.post("/<int:course_id>/co-trainers")
@roles_required(Role.TRAINER)
def add_co_trainer(course_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    form = CoTrainerForm()
    trainer = find_user_by_login(form.employee_no.data or "") if form.validate_on_submit() else None
    if trainer is None:
        flash(_("找不到该工号的讲师。"), "danger")
    else:
        try:
            services.add_co_trainer(course, trainer, current_user)
        except services.CourseError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("已添加协作讲师 %(name)s。", name=trainer.name), "success")
    return redirect(url_for("courses.edit_course", course_id=course.id) + "#trainers")


@bp.post("/<int:course_id>/co-trainers/<int:user_id>/remove")
@roles_required(Role.TRAINER)
def remove_co_trainer(course_id: int, user_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    trainer = db.session.get(User, user_id) or abort(404)
    try:
        services.remove_co_trainer(course, trainer, current_user)
    except services.CourseError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("已移除协作讲师。"), "success")
    return redirect(url_for("courses.edit_course", course_id=course.id) + "#trainers")


@bp.post("/<int:course_id>/chapters")
@roles_required(Role.TRAINER)
def add_chapter(course_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    form = ChapterForm()
    try:
        if not form.validate_on_submit():
            raise services.CourseError(_("请填写章节名称（不超过 120 个字）。"))
        services.add_chapter(course, form.title.data, current_user)
    except services.CourseError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
    return redirect(url_for("courses.edit_course", course_id=course.id) + "#outline")


@bp.post("/chapters/<int:chapter_id>/<action>")
@roles_required(Role.TRAINER)
def change_chapter(chapter_id: int, action: str):
    chapter = services.get_chapter_for(chapter_id, current_user)
    course_id = chapter.course_id
    try:
        if action == "rename":
            services.rename_chapter(chapter, request.form.get("title", ""), current_user)
        elif action in ("up", "down"):
            services.move_chapter(chapter, action, current_user)
        elif action == "delete":
            services.delete_chapter(chapter, current_user)
        else:
            abort(404)
    except services.CourseError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
    return redirect(url_for("courses.edit_course", course_id=course_id) + "#outline")


def _lesson_data(form: LessonForm) -> services.LessonData:
    return services.LessonData(
        title=form.title.data,
        kind=form.kind.data,
        body=form.body.data or "",
        media_asset_id=id_from(form.media_asset_id.data),
        estimated_minutes=form.estimated_minutes.data,
        completion_threshold=Decimal(form.completion_threshold.data or 95) / 100,
        credit_share=form.credit_share.data,
        gating_quiz_id=form.gating_quiz_id.data,
    )


def _store_document(form: LessonForm, lesson) -> str | None:
    upload = form.document.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    stored = files.store_upload(
        upload.stream,
        upload.filename,
        "documents",
        extensions=("pdf",),
        max_bytes=current_app.config["COURSES_DOCUMENT_MAX_BYTES"],
    )
    return services.set_lesson_document(lesson, stored, current_user)


def _my_assets():
    query = (
        sa.select(MediaAsset).where(MediaAsset.status != AssetStatus.FAILED).order_by(MediaAsset.id.desc())
    )
    if not current_user.is_admin:
        query = query.where(MediaAsset.owner_id == current_user.id)
    return db.session.scalars(query.limit(50)).all()


def _lesson_form_page(form, course, chapter, lesson, status: int):
    asset_id = id_from(form.media_asset_id.data)
    asset = db.session.get(MediaAsset, asset_id) if asset_id else None
    mine = asset is not None and (current_user.is_admin or asset.owner_id == current_user.id)
    if asset is not None and not mine and not (lesson and lesson.media_asset_id == asset.id):
        asset = None  # an id typed into the hidden field shows nothing of someone else's upload
    return render_template(
        "courses/lesson_form.html",
        form=form,
        course=course,
        chapter=chapter,
        lesson=lesson,
        asset=asset,
        my_assets=_my_assets(),
        chapters=course.chapters,
        max_bytes=current_app.config["MEDIA_MAX_UPLOAD_BYTES"],
    ), status


@bp.route("/chapters/<int:chapter_id>/lessons/new", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def create_lesson(chapter_id: int):
    chapter = services.get_chapter_for(chapter_id, current_user)
    form, refused = LessonForm(), 400
    if request.method == "GET" and request.args.get("kind") in {k.value for k in LessonKind}:
        form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        try:
            lesson = services.create_lesson(chapter, _lesson_data(form), current_user)
            _store_document(form, lesson)
        except (services.CourseError, files.FileRefused) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            refused = 422 if isinstance(exc, services.SharesDisagree) else 400
        else:
            db.session.commit()
            flash(_("课时《%(title)s》已保存。", title=lesson.title), "success")
            return redirect(url_for("courses.edit_course", course_id=chapter.course_id) + "#outline")
    return _lesson_form_page(form, chapter.course, chapter, None, 200 if request.method == "GET" else refused)


@bp.route("/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def edit_lesson(lesson_id: int):
    lesson = services.get_lesson_for(lesson_id, current_user, edit=True)
    form, refused = LessonForm(obj=lesson), 400
    if request.method == "GET":
        form.kind.data = lesson.kind.value
        form.completion_threshold.data = round(lesson.completion_threshold * 100)
        form.media_asset_id.data = lesson.media_asset_id or ""
    if form.validate_on_submit():
        try:
            services.update_lesson(lesson, _lesson_data(form), current_user)
            old_document = _store_document(form, lesson)
        except (services.CourseError, files.FileRefused) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
            refused = 422 if isinstance(exc, services.SharesDisagree) else 400
        else:
            db.session.commit()
            files.remove(old_document)
            flash(_("课时《%(title)s》已保存。", title=lesson.title), "success")
            return redirect(url_for("courses.edit_course", course_id=lesson.course_id) + "#outline")
    return _lesson_form_page(
        form, lesson.course, lesson.chapter, lesson, 200 if request.method == "GET" else refused
    )


@bp.post("/lessons/<int:lesson_id>/<action>")
@roles_required(Role.TRAINER)
def change_lesson(lesson_id: int, action: str):
    lesson = services.get_lesson_for(lesson_id, current_user, edit=True)
    course_id = lesson.course_id
    try:
        if action in ("up", "down"):
            services.move_lesson(lesson, current_user, direction=action)
        elif action == "move":
            chapter = services.get_chapter_for(request.form.get("chapter_id", type=int) or 0, current_user)
            services.move_lesson(lesson, current_user, chapter=chapter)
        elif action == "delete":
            services.delete_lesson(lesson, current_user)
        else:
            abort(404)
    except services.CourseError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
    return redirect(url_for("courses.edit_course", course_id=course_id) + "#outline")


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
    form = _session_form(course)
    if form.validate_on_submit():
        try:
            session = class_services.create_session(course, _session_data(form), current_user)
        except services.CourseError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("课堂已安排。"), "success")
            return redirect(url_for("courses.class_session", session_id=session.id))
    return render_template("courses/session_form.html", form=form, course=course, session=None), (
        200 if request.method == "GET" else 400
    )


@bp.route("/classes/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def edit_session(session_id: int):
    session = class_services.get_session_for(session_id, current_user, edit=True)
    form = _session_form(session.course, session)
    if form.validate_on_submit():
        try:
            class_services.update_session(session, _session_data(form), current_user)
        except services.CourseError as exc:
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("课堂已保存。"), "success")
            return redirect(url_for("courses.class_session", session_id=session.id))
    return render_template("courses/session_form.html", form=form, course=session.course, session=session), (
        200 if request.method == "GET" else 400
    )


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
        attendance = class_services.check_in(
            session, current_user, form.code.data, form.method.data or "code"
        )
    except class_services.CheckinLocked as exc:
        db.session.rollback()
        response = make_response(error_response(429, str(exc)))
        response.headers["Retry-After"] = str(max(1, ceil((exc.retry_at - utcnow()).total_seconds())))
        return response
    except services.CourseError as exc:
        if isinstance(exc, class_services.WrongCheckinCode):
            db.session.commit()  # the failed attempt counts
        else:
            db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("courses.class_session", session_id=session.id) + "#checkin"), 303
    db.session.commit()
    flash(_("签到成功（%(status)s）。", status=attendance.status_label), "success")
    return redirect(url_for("courses.class_session", session_id=session.id))


@bp.post("/classes/<int:session_id>/checkin/<action>")
@roles_required(Role.TRAINER)
def manage_checkin(session_id: int, action: str):
    session = class_services.get_session_for(session_id, current_user, edit=True)
    try:
        if action == "open":
            class_services.open_checkin(session, current_user, request.form.get("minutes", type=int))
        elif action == "close":
            class_services.close_checkin(session, current_user)
        else:
            abort(404)
    except services.CourseError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
    return redirect(url_for("courses.class_session", session_id=session.id) + "#checkin")


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
            status = 400  # the reason is missing or too long: the form says which
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
    link = url_for("courses.class_session", session_id=session.id, code=session.checkin_code, _external=True)
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
        _submission, replaced = class_services.submit_homework(session, current_user, form.text.data, stored)
    except (services.CourseError, files.FileRefused) as exc:
        db.session.rollback()
        if stored is not None:
            files.remove(stored.relative)
        flash(str(exc), "danger")
        return redirect(target), 303
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
    try:
        if not form.validate_on_submit():
            raise services.CourseError(_("分数须在 0 到 100 之间。"))
        class_services.review_homework(submission, form.score.data, form.comment.data, current_user)
    except services.CourseError as exc:
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash(_("已保存批阅。"), "success")
    return redirect(url_for("courses.class_session", session_id=session.id) + "#roster")


# --- assignments (coordinators) -------------------------------------------------------------------


@bp.get("/assignments")
@roles_required(Role.COORDINATOR)
def assignments():
    page = db.paginate(
        assignment_services.assignments_query(current_user), per_page=_per_page(), error_out=False
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


@bp.route("/assignments/new", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR)
def create_assignment():
    form = AssignmentForm()
    published = db.session.scalars(
        sa.select(Course)
        .where(Course.status == CourseStatus.PUBLISHED)
        .order_by(Course.is_required.desc(), Course.title)
    ).all()
    form.course_ids.choices = [(c.id, f"{c.title}（{c.credit_hours} 学时）") for c in published]
    form.branch_id.choices = _branch_choices()
    if request.method == "GET":
        form.start_on.data = localtoday()
        if request.args.get("course", type=int):
            form.course_ids.data = [request.args.get("course", type=int)]
    if form.validate_on_submit():
        numbers = [
            n for n in (form.members.data or "").replace("，", ",").replace("\n", ",").split(",") if n.strip()
        ]
        member_ids, unknown = [], []
        for number in numbers:
            user = find_user_by_login(number.strip())
            (member_ids.append(user.id) if user else unknown.append(number.strip()))
        try:
            if unknown:
                raise services.CourseError(_("找不到这些工号：%(numbers)s", numbers="、".join(unknown[:10])))
            assignment = assignment_services.create_assignment(
                assignment_services.AssignmentData(
                    title=form.title.data,
                    course_ids=form.course_ids.data or [],
                    start_on=form.start_on.data,
                    due_on=form.due_on.data,
                    branch_id=form.branch_id.data or None,
                    member_ids=member_ids,
                    note=form.note.data or "",
                ),
                current_user,
            )
        except services.CourseError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash(_("学习任务已布置，相关成员已加入课程并收到通知。"), "success")
            return redirect(url_for("courses.assignment_detail", assignment_id=assignment.id))
    return render_template("courses/assignment_form.html", form=form), 200 if request.method == "GET" else 400


@bp.get("/assignments/<int:assignment_id>")
@roles_required(Role.COORDINATOR)
def assignment_detail(assignment_id: int):
    assignment = assignment_services.get_assignment_for(assignment_id, current_user)
    page, rows = assignment_services.member_statuses(
        assignment, request.args.get("page", 1, type=int), _per_page()
    )
    summary = assignment_services.summaries([assignment])[0]
    return render_template(
        "courses/assignment.html", assignment=assignment, page=page, rows=rows, summary=summary
    )


@bp.app_template_global()
def lesson_kind_icon(kind) -> str:
    return {"video": "▶", "audio": "♪", "article": "☰", "document": "▤"}.get(
        str(getattr(kind, "value", kind)), "•"
    )


@bp.app_template_global()
def course_today():
    return localtoday()


bp.add_app_template_global(render_markdown, "render_comment")
