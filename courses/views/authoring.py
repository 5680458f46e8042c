"""Trainers: courses, co-trainers, chapters and lessons."""

# Views alike in shape to other views by design, kept apart: see this package's docstring.

from decimal import Decimal

import sqlalchemy as sa
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role, User
from app.accounts.services import find_user_by_login
from app.core.errors import back_to, refused
from app.core.permissions import roles_required
from app.core.urls import id_from
from app.extensions import db
from courses import files, services
from courses.forms import (
    ChapterForm,
    CoTrainerForm,
    CourseForm,
    LessonForm,
)
from courses.models import (
    Course,
    CourseStatus,
    LessonKind,
)
from courses.views import bp, per_page
from media_pipeline.models import AssetPurpose, AssetStatus, MediaAsset

# --- trainer authoring ----------------------------------------------------------------------------


@bp.get("/manage")
@roles_required(Role.TRAINER)
def manage():
    page = db.paginate(services.trainer_courses_query(current_user), per_page=per_page(), error_out=False)
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
    form, status = CourseForm(), 200 if request.method == "GET" else 422
    if form.validate_on_submit():
        try:
            course = services.create_course(_course_data(form), current_user)
            _store_cover(form, course)
        except (services.CourseError, files.FileRefused) as exc:
            status = refused(exc, form)
        else:
            db.session.commit()
            flash(_("课程已创建。接下来添加章节和课时。"), "success")
            return redirect(url_for("courses.edit_course", course_id=course.id))
    return render_template("courses/course_form.html", form=form, course=None), status


@bp.route("/<int:course_id>/edit", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def edit_course(course_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    form, status = CourseForm(obj=course), 200 if request.method == "GET" else 422
    if request.method == "GET":
        form.tags.data = "，".join(course.tag_list)
        form.kind.data = course.kind.value
    if form.validate_on_submit():
        try:
            services.update_course(course, _course_data(form), current_user)
            old_cover = _store_cover(form, course)
        except (services.CourseError, files.FileRefused) as exc:
            status = refused(exc, form)
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
    ), status


@bp.post("/<int:course_id>/publish")
@roles_required(Role.TRAINER)
def publish(course_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    with back_to(url_for("courses.edit_course", course_id=course.id)):
        services.publish_course(course, current_user)
    db.session.commit()
    flash(_("课程已发布，学员现在可以在课程中心看到它。"), "success")
    return redirect(url_for("courses.edit_course", course_id=course.id))


@bp.post("/<int:course_id>/archive")
@roles_required(Role.TRAINER)
def archive(course_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    target = url_for("courses.edit_course", course_id=course.id)
    with back_to(target):
        services.archive_course(course, current_user)
    db.session.commit()
    flash(_("课程已归档：不再出现在课程中心，已加入的学员仍可学完。"), "success")
    return redirect(target)


@bp.post("/<int:course_id>/co-trainers")
@roles_required(Role.TRAINER)
def add_co_trainer(course_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    form = CoTrainerForm()
    target = url_for("courses.edit_course", course_id=course.id) + "#trainers"
    trainer = find_user_by_login(form.employee_no.data or "") if form.validate_on_submit() else None
    if trainer is None:
        flash(_("找不到该工号的讲师。"), "danger")
    else:
        with back_to(target):
            services.add_co_trainer(course, trainer, current_user)
        db.session.commit()
        flash(_("已添加协作讲师 %(name)s。", name=trainer.name), "success")
    return redirect(target)


@bp.post("/<int:course_id>/co-trainers/<int:user_id>/remove")
@roles_required(Role.TRAINER)
def remove_co_trainer(course_id: int, user_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    trainer = db.session.get(User, user_id) or abort(404)
    target = url_for("courses.edit_course", course_id=course.id) + "#trainers"
    with back_to(target):
        services.remove_co_trainer(course, trainer, current_user)
    db.session.commit()
    flash(_("已移除协作讲师。"), "success")
    return redirect(target)


@bp.post("/<int:course_id>/chapters")
@roles_required(Role.TRAINER)
def add_chapter(course_id: int):
    course = services.get_course_for(course_id, current_user, edit=True)
    form = ChapterForm()
    target = url_for("courses.edit_course", course_id=course.id) + "#outline"
    with back_to(target):
        if not form.validate_on_submit():
            raise services.CourseError(_("请填写章节名称（不超过 120 个字）。"))
        services.add_chapter(course, form.title.data, current_user)
    db.session.commit()
    return redirect(target)


@bp.post("/chapters/<int:chapter_id>/<action>")
@roles_required(Role.TRAINER)
def change_chapter(chapter_id: int, action: str):
    chapter = services.get_chapter_for(chapter_id, current_user)
    target = url_for("courses.edit_course", course_id=chapter.course_id) + "#outline"
    with back_to(target):
        if action == "rename":
            services.rename_chapter(chapter, request.form.get("title", ""), current_user)
        elif action in ("up", "down"):
            services.move_chapter(chapter, action, current_user)
        elif action == "delete":
            services.delete_chapter(chapter, current_user)
        else:
            abort(404)
    db.session.commit()
    return redirect(target)


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


#: A lesson's uploaded files: form field → (folder, extensions accepted, size setting, service).
LESSON_FILES = {
    "document": ("documents", ("pdf",), "COURSES_DOCUMENT_MAX_BYTES", services.set_lesson_document),
    "captions": ("captions", ("vtt",), "COURSES_CAPTIONS_MAX_BYTES", services.set_lesson_captions),
}


def _store_lesson_file(form: LessonForm, lesson, field: str) -> str | None:
    """Store the file uploaded in ``field``, if any; returns the replaced file's path, to remove
    once the change is committed."""
    upload = form[field].data
    if not upload or not getattr(upload, "filename", ""):
        return None
    folder, extensions, max_setting, attach = LESSON_FILES[field]
    stored = files.store_upload(
        upload.stream,
        upload.filename,
        folder,
        extensions=extensions,
        max_bytes=current_app.config[max_setting],
    )
    return attach(lesson, stored, current_user)


def _my_assets():
    query = (
        sa.select(MediaAsset)
        .where(MediaAsset.status != AssetStatus.FAILED, MediaAsset.purpose == AssetPurpose.LESSON)
        .order_by(MediaAsset.id.desc())
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
    form, status = LessonForm(), 200 if request.method == "GET" else 422
    if request.method == "GET" and request.args.get("kind") in {k.value for k in LessonKind}:
        form.kind.data = request.args["kind"]
    if form.validate_on_submit():
        try:
            lesson = services.create_lesson(chapter, _lesson_data(form), current_user)
            for field in LESSON_FILES:
                _store_lesson_file(form, lesson, field)
        except (services.CourseError, files.FileRefused) as exc:
            status = refused(exc, form)
        else:
            db.session.commit()
            flash(_("课时《%(title)s》已保存。", title=lesson.title), "success")
            return redirect(url_for("courses.edit_course", course_id=chapter.course_id) + "#outline")
    return _lesson_form_page(form, chapter.course, chapter, None, status)


@bp.route("/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def edit_lesson(lesson_id: int):
    lesson = services.get_lesson_for(lesson_id, current_user, edit=True)
    form, status = LessonForm(obj=lesson), 200 if request.method == "GET" else 422
    if request.method == "GET":
        form.kind.data = lesson.kind.value
        form.completion_threshold.data = round(lesson.completion_threshold * 100)
        form.media_asset_id.data = lesson.media_asset_id or ""
    if form.validate_on_submit():
        try:
            services.update_lesson(lesson, _lesson_data(form), current_user)
            replaced = [_store_lesson_file(form, lesson, field) for field in LESSON_FILES]
        except (services.CourseError, files.FileRefused) as exc:
            status = refused(exc, form)
        else:
            db.session.commit()
            for path in replaced:
                files.remove(path)
            flash(_("课时《%(title)s》已保存。", title=lesson.title), "success")
            return redirect(url_for("courses.edit_course", course_id=lesson.course_id) + "#outline")
    return _lesson_form_page(form, lesson.course, lesson.chapter, lesson, status)


@bp.post("/lessons/<int:lesson_id>/<action>")
@roles_required(Role.TRAINER)
def change_lesson(lesson_id: int, action: str):
    lesson = services.get_lesson_for(lesson_id, current_user, edit=True)
    target = url_for("courses.edit_course", course_id=lesson.course_id) + "#outline"
    with back_to(target):
        if action in ("up", "down"):
            services.move_lesson(lesson, current_user, direction=action)
        elif action == "move":
            chapter = services.get_chapter_for(request.form.get("chapter_id", type=int) or 0, current_user)
            services.move_lesson(lesson, current_user, chapter=chapter)
        elif action == "delete":
            services.delete_lesson(lesson, current_user)
        else:
            abort(404)
    db.session.commit()
    return redirect(target)
