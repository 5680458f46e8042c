"""Enrolment, course completion, and the lesson facts handed to records."""

from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import User
from app.core import audit
from app.core.clock import utcnow
from app.core.signals import course_completed
from app.core.transactions import insert_in_savepoint
from app.extensions import db
from app.records.services.accounting import LessonFacts, progress_map
from app.records.sources import CourseCompletion
from courses.models import (
    MEDIA_KINDS,
    Course,
    CourseStatus,
    CourseTrainer,
    Enrollment,
    Lesson,
)
from courses.services.access import can_see_course, enrollment_for
from courses.services.base import CourseError
from courses.services.shares import reading_seconds, shares_of
from media_pipeline.models import AssetStatus, MediaAsset

# --- enrolment ------------------------------------------------------------------------------------


#: Why a course's owner and co-trainers neither enrol in it nor record progress on it.
TEACHERS_EARN_NOTHING = _l("您是本课程的讲师：讲授的课程不计学时，无需加入学习，可用预览查看学员看到的页面。")


def enrol(course: Course, user: User, actor: User | None = None, source: str = "self") -> Enrollment:
    """Enrol ``user`` (idempotent: an existing enrolment is returned unchanged)."""
    existing = enrollment_for(user, course.id)
    if existing is not None:
        return existing
    if course.status != CourseStatus.PUBLISHED:
        raise CourseError(_("课程尚未发布或已归档，不能加入学习。"))
    if course.is_trainer(user):
        raise CourseError(TEACHERS_EARN_NOTHING, 409)
    enrollment = Enrollment(course_id=course.id, user_id=user.id, source=source, enrolled_at=utcnow())
    if not insert_in_savepoint(enrollment):  # a double click racing itself: the unique constraint decides
        return enrollment_for(user, course.id)
    audit.record(actor or user, "course.enrol", course, f"{user} 加入课程《{course.title}》")
    return enrollment


def note_lesson_opened(enrollment: Enrollment, lesson: Lesson) -> None:
    """Remember the lesson for "continue where I left off" (navigation state, not progress: not audited)."""
    enrollment.last_lesson_id = lesson.id
    enrollment.last_accessed_at = utcnow()
    db.session.flush()


def complete_enrollment_if_done(user_id: int, course_id: int) -> bool:
    """Mark the enrolment completed once every lesson of the course is complete (records decides)."""
    enrollment = db.session.scalars(
        sa.select(Enrollment).where(Enrollment.course_id == course_id, Enrollment.user_id == user_id)
    ).first()
    if enrollment is None or enrollment.completed_at is not None:
        return False
    lesson_ids = list(db.session.scalars(sa.select(Lesson.id).where(Lesson.course_id == course_id)))
    progress = progress_for(user_id, lesson_ids)
    if not lesson_ids or not all(progress.get(i) is not None and progress[i].completed for i in lesson_ids):
        return False
    enrollment.completed_at = utcnow()
    db.session.flush()
    course = db.session.get(Course, course_id)
    audit.record(
        None, "course.complete", course, f"学员 {user_id} 完成课程《{course.title}》", {"user": user_id}
    )
    course_completed.send("courses", user_id=user_id, course_id=course_id)
    return True


def course_completions(user_id: int) -> list[CourseCompletion]:
    """Courses the member completed, most recent first (records' training record asks, see
    :mod:`app.records.sources`)."""
    rows = db.session.execute(
        sa.select(Course.id, Course.title, Enrollment.completed_at)
        .join(Enrollment, Enrollment.course_id == Course.id)
        .where(Enrollment.user_id == user_id, Enrollment.completed_at.is_not(None))
        .order_by(Enrollment.completed_at.desc())
    ).all()
    return [CourseCompletion(course_id, title, done) for course_id, title, done in rows]


# --- what records needs ---------------------------------------------------------------------------


def progress_for(user_id: int, lesson_ids: list[int]) -> dict:
    """Records' view of a member's progress on ``lesson_ids`` (``{}`` for none)."""
    if not lesson_ids:
        return {}
    return progress_map(user_id, list(lesson_ids))


def lesson_facts_for(lesson_id: int, user) -> LessonFacts:
    """The facts records needs to account a heartbeat, for a member allowed to take the lesson:
    :class:`~werkzeug.exceptions.NotFound` for an unknown lesson or a course the user may not see,
    :class:`~werkzeug.exceptions.Forbidden` when not enrolled (see the package docstring).

    Complete and immutable: records decides with them alone and never calls back. The lesson's
    share of the course's 学时 comes from :func:`~courses.services.shares.shares_of`, computed once
    per version of the course; records caps it by what the member already holds for the course."""
    # The heartbeat's hot path: one query for the lesson, its course's state and version, the
    # member's enrolment and the media's state; the course's other lessons are read only when this
    # process has not yet seen the course at this version.
    user_id = user.id if user.is_authenticated else None
    co_trainer = sa.exists().where(CourseTrainer.course_id == Course.id, CourseTrainer.user_id == user_id)
    row = db.session.execute(
        sa.select(
            Lesson.course_id,
            Lesson.kind,
            Lesson.title,
            Lesson.media_duration,
            Lesson.completion_threshold,
            Lesson.gating_quiz_id,
            Course.status,
            Course.shares_version,
            sa.or_(Course.owner_id == user_id, co_trainer).label("is_teacher"),
            Enrollment.id.label("enrollment_id"),
            MediaAsset.status.label("asset_status"),
            MediaAsset.output_partial.label("asset_partial"),
            MediaAsset.duration.label("asset_duration"),
        )
        .join(Course, Course.id == Lesson.course_id)
        .outerjoin(
            Enrollment, sa.and_(Enrollment.course_id == Lesson.course_id, Enrollment.user_id == user_id)
        )
        .outerjoin(MediaAsset, MediaAsset.id == Lesson.media_asset_id)
        .where(Lesson.id == lesson_id)
    ).one_or_none()
    if row is None or row.status == CourseStatus.DRAFT:
        raise NotFound(_("课时不存在。"))
    if row.is_teacher:  # even one enrolled before becoming a co-trainer: no progress, no ledger entry
        raise Forbidden(TEACHERS_EARN_NOTHING)
    if row.enrollment_id is None:  # enrolled members take published and archived courses alike
        if not can_see_course(user, db.session.get(Course, row.course_id)):
            raise NotFound(_("课时不存在。"))
        raise Forbidden(_("请先加入本课程再学习。"))
    course = shares_of(row.course_id, row.shares_version)
    if row.kind in MEDIA_KINDS:
        # Watchable first: a lesson plays (and counts) from its first published rendition.
        watchable = row.asset_status == AssetStatus.TRANSCODING and row.asset_partial
        if row.asset_status != AssetStatus.READY and not watchable:
            raise Forbidden(_("该课时的音视频尚未就绪。"))
        duration = float(row.asset_duration or row.media_duration or 0.0)
    elif lesson_id in course.lengths:
        duration = course.lengths[lesson_id]
    else:  # the lesson was added after this version was read (a concurrent edit): read it
        duration = reading_seconds(db.session.get(Lesson, lesson_id))
    return LessonFacts(
        lesson_id=lesson_id,
        course_id=row.course_id,
        kind=row.kind.value,
        duration=duration,
        completion_threshold=float(row.completion_threshold),
        credit_share=course.shares.get(lesson_id, Decimal("0")),
        course_credit_hours=course.credit_hours,
        gating_quiz_id=row.gating_quiz_id,
        title=row.title,
    )
