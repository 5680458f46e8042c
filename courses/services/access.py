"""Who may see, take or edit a course, a chapter or a lesson (404 / 403 helpers)."""

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.exceptions import Forbidden, NotFound

from app.extensions import db
from courses.models import (
    Chapter,
    Course,
    CourseStatus,
    CourseTrainer,
    Enrollment,
    Lesson,
)

# --- access ---------------------------------------------------------------------------------------


def enrollment_for(user, course_id: int) -> Enrollment | None:
    if user is None or not user.is_authenticated:
        return None
    # The caller holds the course: not joined again (with its owner's roles and its trainers).
    return db.session.scalars(
        sa.select(Enrollment)
        .where(Enrollment.course_id == course_id, Enrollment.user_id == user.id)
        .options(lazyload(Enrollment.course))
    ).first()


def can_see_course(user, course: Course, enrollment: Enrollment | None = None) -> bool:
    """Published: every signed-in user. Archived: its trainers and members already enrolled.
    Draft: its trainers (and admins) only."""
    if course.can_edit(user):
        return True
    if course.status == CourseStatus.PUBLISHED:
        return True
    if course.status == CourseStatus.ARCHIVED:
        return (enrollment or enrollment_for(user, course.id)) is not None
    return False


def get_course_for(course_id: int, user, *, edit: bool = False) -> Course:
    """Load a course ``user`` may see (404 otherwise: drafts do not exist for members), and with
    ``edit`` one they may edit (403 for a visible course they may not change)."""
    course = db.session.get(Course, course_id)
    if course is None or not can_see_course(user, course):
        raise NotFound(_("课程不存在或尚未发布。"))
    if edit and not course.can_edit(user):
        raise Forbidden(_("只有本课程的讲师可以修改它。"))
    return course


def get_lesson_for(lesson_id: int, user, *, edit: bool = False) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound(_("课时不存在。"))
    # Kept on the lesson: the session holds loaded objects weakly, so a course checked and dropped
    # here was loaded again (with its trainers) by the caller's ``lesson.course``.
    set_committed_value(lesson, "course", get_course_for(lesson.course_id, user, edit=edit))
    return lesson


def get_chapter_for(chapter_id: int, user) -> Chapter:
    chapter = db.session.get(Chapter, chapter_id)
    if chapter is None:
        raise NotFound(_("章节不存在。"))
    set_committed_value(chapter, "course", get_course_for(chapter.course_id, user, edit=True))
    return chapter


def can_take(user, course: Course, enrollment: Enrollment | None) -> bool:
    return enrollment is not None and course.status in (CourseStatus.PUBLISHED, CourseStatus.ARCHIVED)


def can_view_lesson_media(user, asset_id: int) -> bool:
    """The media pipeline's viewer hook: trainers of a course using the asset (previews, drafts
    included), and members enrolled in a published or archived course using it. One query."""
    if user is None or not user.is_authenticated:
        return False
    enrolled = sa.exists().where(Enrollment.course_id == Course.id, Enrollment.user_id == user.id)
    co_trainer = sa.exists().where(CourseTrainer.course_id == Course.id, CourseTrainer.user_id == user.id)
    query = (
        sa.select(Lesson.id)
        .join(Course, Course.id == Lesson.course_id)
        .where(
            Lesson.media_asset_id == asset_id,
            sa.or_(
                Course.owner_id == user.id,
                co_trainer,
                sa.and_(Course.status != CourseStatus.DRAFT, enrolled),
            ),
        )
        .limit(1)
    )
    return db.session.scalar(query) is not None
