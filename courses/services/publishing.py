"""Publishing and archiving a course, and the rule that the lessons' shares fit its 学时."""

from decimal import Decimal

from flask_babel import gettext as _

from app.accounts.models import User
from app.core import audit
from app.core.clock import utcnow
from app.extensions import db
from courses.models import (
    Course,
    CourseStatus,
    Lesson,
    LessonKind,
)
from courses.services.base import CourseError
from courses.services.shares import assets_for, media_state

# --- publishing -----------------------------------------------------------------------------------


def publish_problems(course: Course) -> list[str]:
    """Everything that stops ``course`` from being published, each in one Chinese sentence."""
    problems = []
    lessons = course.lessons()
    if not lessons:
        problems.append(_("课程还没有任何课时。"))
    assets = assets_for(lessons)
    not_ready = []
    for lesson in lessons:
        if lesson.is_media:
            state, label = media_state(lesson, assets)
            if state not in ("ready", "playable"):  # playable: the first rendition is out
                not_ready.append(_("《%(title)s》（%(label)s）", title=lesson.title, label=label))
            elif lesson.kind == LessonKind.VIDEO and not assets[lesson.media_asset_id].has_video:
                not_ready.append(
                    _("《%(title)s》（上传的文件没有画面，请改为音频课时或重新上传）", title=lesson.title)
                )
        elif lesson.kind == LessonKind.ARTICLE and not lesson.body.strip():
            problems.append(_("图文课时《%(title)s》还没有正文。", title=lesson.title))
        elif lesson.kind == LessonKind.DOCUMENT and not lesson.document_path:
            problems.append(_("文档课时《%(title)s》还没有上传 PDF。", title=lesson.title))
    if not_ready:
        problems.insert(0, _("以下音视频课时尚未就绪：%(lessons)s。", lessons="、".join(not_ready)))
    problem = share_problem(course, lessons, publishing=True)
    if problem:
        problems.append(problem)
    return problems


def share_problem(
    course: Course, lessons: list[Lesson] | None = None, *, publishing: bool = False
) -> str | None:
    """Why the lessons' shares cannot stand against the course's 学时, or ``None``. The shares a
    trainer set never sum above the course's 学时 (the other lessons split what is left); once every
    lesson has one, they sum to it exactly — checked on every save of a course out of draft, and
    when a draft is published (a draft may be half-built)."""
    lessons = lessons if lessons is not None else course.lessons()
    fixed = [lesson.credit_share for lesson in lessons if lesson.credit_share is not None]
    total = sum(fixed, Decimal("0"))
    if total > course.credit_hours:
        return _(
            "各课时设定的学时之和（%(total)s）超过了课程学时（%(hours)s）。未设定学时的课时会自动分摊剩余学时。",
            total=total,
            hours=course.credit_hours,
        )
    must_add_up = publishing or course.status != CourseStatus.DRAFT
    if must_add_up and lessons and len(fixed) == len(lessons) and total != course.credit_hours:
        return _(
            "各课时设定的学时之和（%(total)s）应等于课程学时（%(hours)s）。可将某个课时的学时留空，由它分摊剩余学时。",
            total=total,
            hours=course.credit_hours,
        )
    return None


class SharesDisagree(CourseError):
    """The lessons' shares would not fit the course's 学时 (always 422, naming the sum)."""


def check_shares(course: Course) -> None:
    """Refuse a change after which the lessons' shares and the course's 学时 disagree."""
    problem = share_problem(course)
    if problem:
        raise SharesDisagree(problem, 422)


def publish_course(course: Course, actor: User) -> Course:
    if course.status == CourseStatus.PUBLISHED:
        raise CourseError(_("课程已经发布。"))
    problems = publish_problems(course)
    if problems:
        raise CourseError(_("不能发布：%(problems)s", problems=" ".join(problems)))
    course.status = CourseStatus.PUBLISHED
    course.published_at = course.published_at or utcnow()
    course.archived_at = None
    db.session.flush()
    audit.record(actor, "course.publish", course, f"发布课程《{course.title}》")
    return course


def archive_course(course: Course, actor: User) -> Course:
    if course.status != CourseStatus.PUBLISHED:
        raise CourseError(_("只有已发布的课程可以归档。"))
    course.status = CourseStatus.ARCHIVED
    course.archived_at = utcnow()
    db.session.flush()
    audit.record(actor, "course.archive", course, f"归档课程《{course.title}》")
    return course
