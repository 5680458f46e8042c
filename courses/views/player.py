"""The lesson player and documents, and the discussion under a lesson."""

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

from app.core.errors import back_to
from app.core.permissions import login_required
from app.core.text import render_markdown
from app.core.urls import id_from
from app.extensions import db
from courses import discussion, files, services
from courses.forms import (
    CommentForm,
)
from courses.views import bp
from media_pipeline.models import MediaAsset
from media_pipeline.views import asset_urls

# --- the lesson player ----------------------------------------------------------------------------


def _playable_media(asset: MediaAsset | None) -> dict | None:
    """What the player needs of a lesson's media once it plays (ready, or its first rendition
    published while the rest of the ladder is made): URLs, rungs, audio only."""
    if asset is None or not asset.is_playable:
        return None
    return {
        "urls": asset_urls(asset, viewer=current_user),  # signed: the same URLs the app gets
        "renditions": sorted({r.height for r in asset.hls_variants() if r.height}, reverse=True),
        "audio_only": asset.is_audio_only,
        "partial": not asset.is_finished,  # watchable first: higher qualities still on the way
    }


@bp.get("/lessons/<int:lesson_id>")
@login_required
def lesson(lesson_id: int):
    lesson = services.get_lesson_for(lesson_id, current_user)
    course = lesson.course
    enrollment = services.enrollment_for(current_user, course.id)
    # Its trainers preview a course, enrolled or not: they earn no hours from what they teach.
    preview = course.is_trainer(current_user) or (enrollment is None and course.can_edit(current_user))
    if enrollment is None and not preview:
        with back_to(url_for("courses.course_detail", course_id=course.id)):
            enrollment = services.enrol(course, current_user)  # starting a lesson is enrolling
    if preview:
        enrollment = None
    if enrollment is not None:
        services.note_lesson_opened(enrollment, lesson)
        db.session.commit()
    outline = services.course_outline(course, current_user.id if enrollment else None)
    row = next(r for r in outline.rows if r.lesson.id == lesson.id)
    previous, following = outline.neighbours(lesson.id)
    config = current_app.config
    return render_template(
        "courses/lesson.html",
        course=course,
        lesson=lesson,
        row=row,
        outline=outline,
        media=_playable_media(outline.asset_of(lesson)),
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


def _lesson_file(lesson_id: int, relative_path) -> tuple:
    """The lesson and the absolute path of one of its files (``relative_path(lesson)``), for its
    trainers and enrolled members only; 404 when the lesson has no such file."""
    lesson = services.get_lesson_for(lesson_id, current_user)
    course = lesson.course
    if not course.can_edit(current_user) and services.enrollment_for(current_user, course.id) is None:
        abort(403)
    relative = relative_path(lesson)
    if not relative or not files.absolute(relative).is_file():
        abort(404)
    return lesson, files.absolute(relative)


def _private(response):
    response.cache_control.private = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/lessons/<int:lesson_id>/document")
@login_required
def lesson_document(lesson_id: int):
    lesson, path = _lesson_file(lesson_id, lambda lesson: lesson.document_path)
    return _private(
        send_file(
            path,
            mimetype="application/pdf",
            conditional=True,
            download_name=lesson.document_name or "document.pdf",
        )
    )


@bp.get("/lessons/<int:lesson_id>/captions.vtt")
@login_required
def lesson_captions(lesson_id: int):
    _lesson, path = _lesson_file(lesson_id, lambda lesson: lesson.captions_path)
    return _private(send_file(path, mimetype="text/vtt", conditional=True))


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
    with back_to(target):
        comment = discussion.add_comment(lesson, current_user, form.body.data, parent)
    db.session.commit()
    return redirect(url_for("courses.lesson", lesson_id=lesson.id) + f"#comment-{comment.id}")


@bp.post("/comments/<int:comment_id>/<action>")
@login_required
def moderate_comment(comment_id: int, action: str):
    comment = discussion.get_comment_for(comment_id, current_user)
    with back_to(
        url_for("courses.lesson", lesson_id=comment.lesson_id) + f"#comment-{comment.id}", "warning"
    ):
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
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("courses.lesson", lesson_id=comment.lesson_id) + f"#comment-{comment.id}")
