"""What courses does when other domains signal (media ready or failed, lesson completed,
members arriving), wired by :func:`connect`."""

import sqlalchemy as sa

from app.core.signals import notification_requested
from app.core.urls import site_path
from app.extensions import db
from courses.models import (
    Course,
    Lesson,
)
from courses.services.access import can_view_lesson_media
from courses.services.enrolment import complete_enrollment_if_done, course_completions
from courses.services.shares import listen_for_share_changes
from media_pipeline.models import MediaAsset

# --- signal receivers (connected by :func:`connect`) ----------------------------------------------


def _lessons_using(asset_id: int) -> list[Lesson]:
    return list(db.session.scalars(sa.select(Lesson).where(Lesson.media_asset_id == asset_id)))


def on_media_ready(sender, asset_id: int, **_extra) -> None:
    """Copy the duration onto the lessons using the asset and tell their courses' owners."""
    lessons = _lessons_using(asset_id)
    duration = sender.duration if isinstance(sender, MediaAsset) else None
    for lesson in lessons:
        lesson.media_duration = duration
    if lessons:
        db.session.flush()
    _notify_owners(
        lessons, "course.media_ready", "课时视频已可播放", "《{title}》的音视频已转码完成，可以发布了。"
    )


def on_media_failed(sender, asset_id: int, error: str = "", **_extra) -> None:
    _notify_owners(
        _lessons_using(asset_id),
        "course.media_failed",
        "课时视频转码失败",
        "《{title}》的音视频处理失败：" + (error or "原因未知") + "。请重新上传。",
    )


def _notify_owners(lessons: list[Lesson], kind: str, title: str, body: str) -> None:
    for lesson in lessons:
        course = db.session.get(Course, lesson.course_id)
        url = site_path("courses.edit_lesson", lesson_id=lesson.id)
        notification_requested.send(
            "courses",
            user_ids=[course.owner_id, *[t.id for t in course.co_trainers]],
            title=title,
            body=body.format(title=lesson.title),
            url=url,
            kind=kind,
        )


def on_lesson_completed(sender, user_id: int, lesson_id: int, **_extra) -> None:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is not None:
        complete_enrollment_if_done(user_id, lesson.course_id)


_connected = False


def connect() -> None:
    """Wire the courses domain to the others: signals, the media viewer hook, home-page panels."""
    global _connected
    if _connected:
        return
    from app.core.signals import (
        lesson_completed,
        media_failed,
        media_ready,
        members_imported,
        user_branch_changed,
        user_created,
    )
    from app.records import sources
    from courses.assignment_report import assigned_course_tallies
    from courses.assignments import on_members_imported, on_user_arrived  # they import this package
    from media_pipeline.services import register_viewer_check

    media_ready.connect(on_media_ready)
    media_failed.connect(on_media_failed)
    lesson_completed.connect(on_lesson_completed)
    user_created.connect(on_user_arrived)
    user_branch_changed.connect(on_user_arrived)
    members_imported.connect(on_members_imported)
    register_viewer_check(can_view_lesson_media)
    listen_for_share_changes()
    sources.register_course_completions(course_completions)
    sources.register_assigned_courses(assigned_course_tallies)
    _connected = True
