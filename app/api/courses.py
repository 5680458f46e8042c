"""Courses for a mobile client: the catalog, a course with its outline and my progress, enrolment,
and one lesson with its playback URLs (only for members allowed to take it, and its trainers)."""

from flask import current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from app.api import ApiError, bp, ok
from app.core.text import render_markdown
from app.core.urls import absolute
from app.extensions import db
from courses import services
from courses.models import Course
from media_pipeline.models import MediaAsset
from media_pipeline.views import asset_urls


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def course_json(course: Course, learners: int | None = None) -> dict:
    return {
        "id": course.id,
        "title": course.title,
        "category": course.category,
        "category_label": course.category_label,
        "tags": course.tag_list,
        "kind": course.kind.value,
        "status": course.status.value,
        "required": course.is_required,
        "credit_hours": str(course.credit_hours),
        "cover_url": absolute(url_for("courses.cover", course_id=course.id)) if course.cover_path else None,
        "trainers": [course.owner.name, *[t.name for t in course.co_trainers]],
        "published_at": _iso(course.published_at),
        "learners": learners,
    }


def _progress_json(view) -> dict | None:
    if view is None:
        return None
    return {
        "covered_ratio": round(view.covered_ratio, 4),
        "completed": view.completed,
        "last_position": round(view.last_position, 3),
        "updated_at": _iso(view.updated_at),
    }


@bp.get("/courses")
def list_courses():
    args = request.args
    query = services.catalog_query_from(args)
    per_page = min(max(args.get("per_page", current_app.config["ITEMS_PER_PAGE"], type=int), 1), 100)
    page = db.paginate(query, page=args.get("page", 1, type=int), per_page=per_page, error_out=False)
    counts = services.learner_counts([c.id for c in page.items])
    return ok(
        {
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
            "courses": [course_json(c, counts.get(c.id, 0)) for c in page.items],
        }
    )


@bp.get("/courses/<int:course_id>")
def get_course(course_id: int):
    course = services.get_course_for(course_id, current_user)
    enrollment = services.enrollment_for(current_user, course.id)
    outline = services.course_outline(course, current_user.id if enrollment else None)
    data = course_json(course, services.learner_counts([course.id]).get(course.id, 0))
    data["summary_html"] = str(render_markdown(course.summary))
    data["enrolled"] = enrollment is not None
    data["completed"] = bool(enrollment and enrollment.completed_at)
    data["progress_percent"] = outline.percent if enrollment else 0
    data["chapters"] = [
        {
            "id": chapter.id,
            "title": chapter.title,
            "lessons": [
                {
                    "id": row.lesson.id,
                    "kind": row.lesson.kind.value,
                    "title": row.lesson.title,
                    "duration": round(row.length, 3),
                    "credit_hours": str(outline.shares.get(row.lesson.id)),
                    "ready": row.state in ("ready", "playable"),  # playable: the first rung is out
                    "progress": _progress_json(row.progress),
                }
                for row in rows
            ],
        }
        for chapter, rows in outline.chapters
    ]
    return ok(data)


@bp.post("/courses/<int:course_id>/enrol")
def enrol_course(course_id: int):
    course = services.get_course_for(course_id, current_user)
    existed = services.enrollment_for(current_user, course.id) is not None
    try:
        enrollment = services.enrol(course, current_user)
    except services.CourseError as exc:
        raise ApiError(str(exc), 409) from exc
    db.session.commit()
    return ok(
        {"course_id": course.id, "enrolled": True, "enrolled_at": _iso(enrollment.enrolled_at)},
        200 if existed else 201,
    )


def _playback(asset: MediaAsset | None) -> dict | None:
    """Where a client plays the lesson's media, once it is playable: signed URLs that work with no
    cookie and no header, for this member only, until ``expires_at``."""
    if asset is None or not asset.is_playable:
        return None
    urls = asset_urls(asset, viewer=current_user)
    return {
        "hls": absolute(urls["master"]),
        "mp4": absolute(urls["fallback"]),
        "poster": absolute(urls["poster"]),
        "audio_only": asset.is_audio_only,
        "expires_at": urls["expires_at"],
    }


@bp.get("/lessons/<int:lesson_id>")
def get_lesson(lesson_id: int):
    lesson = services.get_lesson_for(lesson_id, current_user)
    course = lesson.course
    enrollment = services.enrollment_for(current_user, course.id)
    if not services.can_take(current_user, course, enrollment) and not course.can_edit(current_user):
        raise Forbidden(_("请先加入课程再学习该课时。"))
    outline = services.course_outline(course, current_user.id if enrollment else None)
    row = next(r for r in outline.rows if r.lesson.id == lesson.id)
    previous, following = outline.neighbours(lesson.id)
    return ok(
        {
            "id": lesson.id,
            "course_id": course.id,
            "chapter_id": lesson.chapter_id,
            "kind": lesson.kind.value,
            "title": lesson.title,
            "duration": round(row.length, 3),
            "ready": row.state in ("ready", "playable"),  # playable: the first rung is out
            "completion_threshold": float(lesson.completion_threshold),
            "credit_hours": str(outline.shares.get(lesson.id)),
            "gating_quiz_id": lesson.gating_quiz_id,
            "body_html": str(render_markdown(lesson.body)),
            "document_url": absolute(url_for("courses.lesson_document", lesson_id=lesson.id))
            if lesson.document_path
            else None,
            "playback": _playback(outline.asset_of(lesson)),
            "progress": _progress_json(row.progress),
            "progress_url": absolute(url_for("api.post_progress", lesson_id=lesson.id)),
            "previous_id": previous.id if previous else None,
            "next_id": following.id if following else None,
        }
    )
