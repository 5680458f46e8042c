"""Courses: access, authoring, publishing, enrolment, the catalog, my learning, lesson facts.

Services validate, change, flush, audit and signal; the caller commits. Assignments, flipped
classes and the discussion have their own modules (:mod:`courses.assignments`,
:mod:`courses.classes`, :mod:`courses.discussion`).

Who may take a lesson (the rule :func:`lesson_facts_for` applies for the progress API): a member
enrolled in the lesson's course, while the course is published or archived. Opening a lesson page
of a published course enrols the member first ("start learning" is enrolment), and so does the
course page's button and ``POST /api/v1/courses/<id>/enrol``. Drafts are seen by their trainers
only, who preview them without taking them (no progress, no hours). Archived courses leave the
catalog, but members already enrolled may still finish them.
"""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import partial

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, selectinload
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import Role, User
from app.core import audit
from app.core.clock import utcnow
from app.core.models import AuditEntry
from app.core.signals import lesson_deleted, notification_requested
from app.core.text import plain_text
from app.extensions import db
from app.records.services import LessonFacts, credited_for_course, progress_map
from courses import files
from courses.models import (
    CATEGORIES,
    MEDIA_KINDS,
    Chapter,
    Course,
    CourseKind,
    CourseStatus,
    CourseTrainer,
    Enrollment,
    Lesson,
    LessonKind,
)
from media_pipeline.models import AssetStatus, MediaAsset

logger = logging.getLogger(__name__)

TITLE_MAX = 120
DEFAULT_DOCUMENT_MINUTES = 10


class CourseError(ValueError):
    """A problem the user caused, with a message in Chinese and the HTTP status to answer it with."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def page_url(endpoint: str, **values) -> str:
    """A page's path, inside a request or not (a worker sending a notification)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("").build(endpoint, values)


# --- access ---------------------------------------------------------------------------------------


def enrollment_for(user, course_id: int) -> Enrollment | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalars(
        sa.select(Enrollment).where(Enrollment.course_id == course_id, Enrollment.user_id == user.id)
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
        raise NotFound("课程不存在或尚未发布。")
    if edit and not course.can_edit(user):
        raise Forbidden("只有本课程的讲师可以修改它。")
    return course


def get_lesson_for(lesson_id: int, user, *, edit: bool = False) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound("课时不存在。")
    get_course_for(lesson.course_id, user, edit=edit)
    return lesson


def get_chapter_for(chapter_id: int, user) -> Chapter:
    chapter = db.session.get(Chapter, chapter_id)
    if chapter is None:
        raise NotFound("章节不存在。")
    get_course_for(chapter.course_id, user, edit=True)
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


# --- authoring: courses ---------------------------------------------------------------------------


@dataclass
class CourseData:
    title: str
    summary: str = ""
    category: str = "theory"
    tags: str = ""
    credit_hours: Decimal = Decimal("1.00")
    kind: str = CourseKind.MOOC
    is_required: bool = False


def _clean_title(title: str, what: str = "标题") -> str:
    title = (title or "").strip()
    if not title:
        raise CourseError(f"{what}不能为空。")
    if len(title) > TITLE_MAX:
        raise CourseError(f"{what}不能超过 {TITLE_MAX} 个字。")
    return title


def _clean_tags(raw: str) -> str:
    tags = []
    for tag in re.split(r"[,，、;；\s]+", raw or ""):
        tag = tag.strip()[:20]
        if tag and tag not in tags:
            tags.append(tag)
    joined = ",".join(tags[:10])
    return f",{joined}," if joined else ""


def _validate_course(data: CourseData) -> CourseData:
    data.title = _clean_title(data.title, "课程名称")
    if data.category not in CATEGORIES:
        raise CourseError("请选择课程分类。")
    if data.kind not in {k.value for k in CourseKind}:
        raise CourseError("请选择课程类型。")
    hours = Decimal(str(data.credit_hours)) if data.credit_hours is not None else None
    if hours is None or not hours.is_finite() or hours < 0 or hours > Decimal("200"):
        raise CourseError("学时须在 0 到 200 之间。")
    data.credit_hours = hours.quantize(Decimal("0.01"))
    data.tags = _clean_tags(data.tags)
    data.summary = (data.summary or "").strip()
    return data


def create_course(data: CourseData, actor: User) -> Course:
    if not actor.has_any_role(Role.TRAINER):
        raise Forbidden("只有讲师可以创建课程。")
    data = _validate_course(data)
    course = Course(
        title=data.title,
        summary=data.summary,
        category=data.category,
        tags=data.tags,
        credit_hours=data.credit_hours,
        kind=CourseKind(data.kind),
        is_required=bool(data.is_required),
        status=CourseStatus.DRAFT,
        owner_id=actor.id,
    )
    db.session.add(course)
    db.session.flush()
    audit.record(actor, "course.create", course, f"创建课程《{course.title}》")
    return course


def update_course(course: Course, data: CourseData, actor: User) -> Course:
    """Change a course. Its 学时 may not fall below the shares its trainers set on lessons; a change
    of 学时 once the course is out of draft is audited on its own with the old and new values
    (members already credited keep what they earned, and no one's lessons can add up to more than
    the course's 学时: see :func:`lesson_share_for`)."""
    data = _validate_course(data)
    if course.status != CourseStatus.DRAFT and CourseKind(data.kind) != course.kind:
        raise CourseError("已发布的课程不能更改课程类型。")
    old_hours = course.credit_hours
    changes = {}
    for field in ("title", "summary", "category", "tags", "credit_hours", "is_required"):
        value = getattr(data, field)
        if getattr(course, field) != value:
            changes[field] = str(value)
            setattr(course, field, value)
    course.kind = CourseKind(data.kind)
    if "credit_hours" in changes:
        check_shares(course)
    db.session.flush()
    audit.record(actor, "course.update", course, f"修改课程《{course.title}》", {"changed": changes})
    if "credit_hours" in changes and course.status != CourseStatus.DRAFT:
        audit.record(
            actor,
            CREDIT_HOURS_CHANGED,
            course,
            f"课程《{course.title}》学时由 {old_hours} 改为 {course.credit_hours}",
            {"old": str(old_hours), "new": str(course.credit_hours)},
        )
    return course


#: The audit action of a change to a published (or archived) course's 学时.
CREDIT_HOURS_CHANGED = "course.credit_hours"


def credit_hours_changes(course: Course) -> list:
    """The changes of ``course``'s 学时 since it left draft (学时变更记录), newest first."""
    return db.session.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.target_type == Course.__tablename__,
            AuditEntry.target_id == course.id,
            AuditEntry.action == CREDIT_HOURS_CHANGED,
        )
        .order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
    ).all()


def set_cover(course: Course, stored: files.StoredFile, actor: User) -> str | None:
    """Point the course at a new cover; returns the old file's path for the caller to remove after commit."""
    old, course.cover_path = course.cover_path, stored.relative
    db.session.flush()
    audit.record(actor, "course.cover", course, f"更换课程《{course.title}》封面")
    return old


def add_co_trainer(course: Course, trainer: User, actor: User) -> None:
    if not (actor.is_admin or actor.id == course.owner_id):
        raise Forbidden("只有课程负责人可以设置协作讲师。")
    if not trainer.has_role(Role.TRAINER):
        raise CourseError(f"{trainer} 不是讲师，不能协作讲授课程。")
    if trainer.id == course.owner_id or any(t.id == trainer.id for t in course.co_trainers):
        raise CourseError(f"{trainer} 已是本课程的讲师。")
    db.session.add(CourseTrainer(course_id=course.id, user_id=trainer.id))
    db.session.flush()
    db.session.expire(course, ["co_trainers"])
    audit.record(actor, "course.co_trainer.add", course, f"添加协作讲师 {trainer}")


def remove_co_trainer(course: Course, trainer: User, actor: User) -> None:
    if not (actor.is_admin or actor.id == course.owner_id):
        raise Forbidden("只有课程负责人可以设置协作讲师。")
    row = db.session.get(CourseTrainer, (course.id, trainer.id))
    if row is None:
        raise CourseError(f"{trainer} 不是本课程的协作讲师。")
    db.session.delete(row)
    db.session.flush()
    db.session.expire(course, ["co_trainers"])
    audit.record(actor, "course.co_trainer.remove", course, f"移除协作讲师 {trainer}")


# --- authoring: chapters and lessons --------------------------------------------------------------


def add_chapter(course: Course, title: str, actor: User) -> Chapter:
    title = _clean_title(title, "章节名称")
    position = max((c.position for c in course.chapters), default=0) + 1
    chapter = Chapter(course=course, title=title, position=position)
    db.session.add(chapter)
    db.session.flush()
    audit.record(actor, "course.chapter.add", course, f"添加章节「{title}」")
    return chapter


def rename_chapter(chapter: Chapter, title: str, actor: User) -> Chapter:
    chapter.title = _clean_title(title, "章节名称")
    db.session.flush()
    audit.record(actor, "course.chapter.rename", chapter.course, f"章节改名为「{chapter.title}」")
    return chapter


def _renumber(items: list) -> None:
    for index, item in enumerate(items, start=1):
        item.position = index


def move_chapter(chapter: Chapter, direction: str, actor: User) -> None:
    chapters = list(chapter.course.chapters)
    index = chapters.index(chapter)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(chapters):
        chapters[index], chapters[other] = chapters[other], chapters[index]
        _renumber(chapters)
        db.session.flush()
        db.session.expire(chapter.course, ["chapters"])
        audit.record(actor, "course.chapter.move", chapter.course, f"调整章节「{chapter.title}」顺序")


def delete_chapter(chapter: Chapter, actor: User) -> None:
    course = chapter.course
    if course.status != CourseStatus.DRAFT and chapter.lessons:
        raise CourseError("已发布课程的章节中还有课时，请先删除或移走其中的课时。")
    audit.record(actor, "course.chapter.delete", course, f"删除章节「{chapter.title}」")
    lesson_ids = [lesson.id for lesson in chapter.lessons]
    course.chapters.remove(chapter)
    _renumber(course.chapters)
    db.session.flush()
    for lesson_id in lesson_ids:
        lesson_deleted.send("courses", lesson_id=lesson_id, course_id=course.id)


@dataclass
class LessonData:
    title: str
    kind: str
    body: str = ""
    media_asset_id: int | None = None
    estimated_minutes: int | None = None
    completion_threshold: Decimal = Decimal("0.95")
    credit_share: Decimal | None = None
    gating_quiz_id: int | None = None


def _validate_lesson(data: LessonData, actor: User) -> LessonData:
    data.title = _clean_title(data.title, "课时名称")
    if data.kind not in {k.value for k in LessonKind}:
        raise CourseError("请选择课时类型。")
    threshold = Decimal(str(data.completion_threshold if data.completion_threshold is not None else "0.95"))
    if not Decimal("0.10") <= threshold <= Decimal("1.00"):
        raise CourseError("完成比例须在 10% 到 100% 之间。")
    data.completion_threshold = threshold.quantize(Decimal("0.01"))
    if data.credit_share is not None:
        share = Decimal(str(data.credit_share))
        if not share.is_finite() or share < 0 or share > Decimal("200"):
            raise CourseError("课时学时须在 0 到 200 之间。")
        data.credit_share = share.quantize(Decimal("0.01"))
    if data.estimated_minutes is not None and not 1 <= data.estimated_minutes <= 600:
        raise CourseError("预计学习时长须在 1 到 600 分钟之间。")
    if data.media_asset_id is not None:
        if data.kind not in (LessonKind.VIDEO, LessonKind.AUDIO):
            data.media_asset_id = None
        else:
            asset = db.session.get(MediaAsset, data.media_asset_id)
            if asset is None or not (actor.is_admin or asset.owner_id == actor.id):
                raise CourseError("所选音视频不存在或不是您上传的。")
    return data


def _apply_lesson(lesson: Lesson, data: LessonData) -> None:
    lesson.title = data.title
    lesson.kind = LessonKind(data.kind)
    lesson.body = (data.body or "").strip()
    if lesson.media_asset_id != data.media_asset_id:
        lesson.media_asset_id = data.media_asset_id
        asset = db.session.get(MediaAsset, data.media_asset_id) if data.media_asset_id else None
        lesson.media_duration = asset.duration if asset and asset.status == AssetStatus.READY else None
    lesson.estimated_minutes = data.estimated_minutes
    lesson.completion_threshold = data.completion_threshold
    lesson.credit_share = data.credit_share
    lesson.gating_quiz_id = data.gating_quiz_id


def create_lesson(chapter: Chapter, data: LessonData, actor: User) -> Lesson:
    data = _validate_lesson(data, actor)
    lesson = Lesson(
        chapter=chapter,
        course_id=chapter.course_id,
        position=max((lesson.position for lesson in chapter.lessons), default=0) + 1,
    )
    db.session.add(lesson)
    with db.session.no_autoflush:
        _apply_lesson(lesson, data)
        check_shares(chapter.course)
    db.session.flush()
    audit.record(
        actor, "course.lesson.add", chapter.course, f"添加课时《{lesson.title}》", {"lesson": lesson.id}
    )
    return lesson


def update_lesson(lesson: Lesson, data: LessonData, actor: User) -> Lesson:
    data = _validate_lesson(data, actor)
    if data.kind != lesson.kind and lesson.course.status != CourseStatus.DRAFT:
        raise CourseError("已发布课程的课时不能更改类型，请新建课时。")
    old_share = lesson.credit_share
    with db.session.no_autoflush:
        _apply_lesson(lesson, data)
        check_shares(lesson.course)
    db.session.flush()
    details: dict = {"lesson": lesson.id}
    if old_share != lesson.credit_share:
        details["credit_share"] = {"old": _text(old_share), "new": _text(lesson.credit_share)}
    audit.record(actor, "course.lesson.update", lesson.course, f"修改课时《{lesson.title}》", details)
    return lesson


def _text(value) -> str | None:
    return None if value is None else str(value)


def set_lesson_document(lesson: Lesson, stored: files.StoredFile, actor: User) -> str | None:
    old = lesson.document_path
    lesson.document_path, lesson.document_name = stored.relative, stored.name
    db.session.flush()
    audit.record(
        actor, "course.lesson.document", lesson.course, f"上传课时《{lesson.title}》文档 {stored.name}"
    )
    return old


def move_lesson(
    lesson: Lesson, actor: User, *, direction: str | None = None, chapter: Chapter | None = None
) -> None:
    """Move a lesson one place up or down within its chapter, or to the end of another chapter."""
    course = lesson.course
    if chapter is not None and chapter.id != lesson.chapter_id:
        if chapter.course_id != lesson.course_id:
            raise CourseError("只能在同一课程的章节之间移动课时。")
        old = lesson.chapter
        position = max((x.position for x in chapter.lessons), default=0) + 1
        lesson.chapter = chapter  # the backref takes it out of the old chapter's list (no orphan delete)
        lesson.position = position
        _renumber([x for x in old.lessons if x is not lesson])
        summary = f"课时《{lesson.title}》移到章节「{chapter.title}」"
    elif direction in ("up", "down"):
        siblings = list(lesson.chapter.lessons)
        index = siblings.index(lesson)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(siblings):
            return
        siblings[index], siblings[other] = siblings[other], siblings[index]
        _renumber(siblings)
        summary = f"调整课时《{lesson.title}》顺序"
    else:
        return
    db.session.flush()
    audit.record(actor, "course.lesson.move", course, summary)


def delete_lesson(lesson: Lesson, actor: User) -> None:
    """Delete a lesson; records then forgets the members' progress on it (their hours stay)."""
    course, chapter, lesson_id = lesson.course, lesson.chapter, lesson.id
    audit.record(actor, "course.lesson.delete", course, f"删除课时《{lesson.title}》", {"lesson": lesson_id})
    chapter.lessons.remove(lesson)
    _renumber(chapter.lessons)
    db.session.flush()
    lesson_deleted.send("courses", lesson_id=lesson_id, course_id=course.id)


# --- media state, lengths and credit shares -------------------------------------------------------


def assets_for(lessons: Iterable[Lesson], *, with_renditions: bool = True) -> dict[int, MediaAsset]:
    """The media assets of ``lessons`` by asset id, in one query (two with their renditions)."""
    ids = {lesson.media_asset_id for lesson in lessons if lesson.media_asset_id}
    if not ids:
        return {}
    query = sa.select(MediaAsset).where(MediaAsset.id.in_(ids))
    if not with_renditions:
        query = query.options(lazyload(MediaAsset.renditions))
    return {a.id: a for a in db.session.scalars(query)}


def media_state(lesson: Lesson, assets: dict[int, MediaAsset]) -> tuple[str, str]:
    """(state, Chinese label) of a media lesson: missing, uploaded, probing, transcoding, ready, failed."""
    asset = assets.get(lesson.media_asset_id) if lesson.media_asset_id else None
    if asset is None:
        return "missing", "未上传音视频"
    if asset.status == AssetStatus.TRANSCODING:
        return "transcoding", f"转码中 {asset.progress}%"
    if asset.status == AssetStatus.FAILED:
        return "failed", f"转码失败：{asset.error or '原因未知'}"
    return asset.status.value, asset.status_label


def reading_seconds(lesson: Lesson) -> float:
    if lesson.estimated_minutes:
        return float(lesson.estimated_minutes * 60)
    if lesson.kind == LessonKind.DOCUMENT:
        return float(DEFAULT_DOCUMENT_MINUTES * 60)
    chars = len(plain_text(lesson.body))
    per_minute = current_app.config["COURSES_READING_CHARS_PER_MINUTE"]
    return float(max(60, round(chars / per_minute * 60)))


def lesson_length(lesson: Lesson, assets: dict[int, MediaAsset]) -> float:
    """Seconds: the media's duration (0 until known) or an article's / document's reading time."""
    if lesson.is_media:
        asset = assets.get(lesson.media_asset_id) if lesson.media_asset_id else None
        if asset is not None and asset.duration:
            return float(asset.duration)
        return float(lesson.media_duration or 0.0)
    return reading_seconds(lesson)


def split_hours(total: Decimal, weights: list[float]) -> list[Decimal]:
    """Split ``total`` 学时 in proportion to ``weights``, in hundredths, by the largest-remainder
    method, so the shares add up to ``total`` exactly. Equal shares when every weight is zero."""
    if not weights:
        return []
    cents = int((total * 100).to_integral_value())
    fractions = [Fraction(w) if w > 0 else Fraction(0) for w in weights]
    if sum(fractions) == 0:
        fractions = [Fraction(1)] * len(weights)
    whole = sum(fractions)
    exact = [cents * f / whole for f in fractions]
    floors = [int(x) for x in exact]  # non-negative: int() is the floor
    left = cents - sum(floors)
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return [Decimal(c).scaleb(-2) for c in floors]


def credit_shares(
    course: Course,
    assets: dict[int, MediaAsset] | None = None,
    lengths: dict[int, float] | None = None,
    lessons: list[Lesson] | None = None,
) -> dict[int, Decimal]:
    """Each lesson's share of the course's 学时: the trainer's share where set; the rest of the
    course's hours split among the other lessons by length (largest remainder, to 0.01).
    Callers that already hold the lessons, assets or lengths pass them to save the work."""
    lessons = lessons if lessons is not None else course.lessons()
    assets = assets if assets is not None else assets_for(lessons)
    shares = {lesson.id: lesson.credit_share for lesson in lessons if lesson.credit_share is not None}
    rest = [lesson for lesson in lessons if lesson.credit_share is None]
    pool = max(Decimal("0"), course.credit_hours - sum(shares.values(), Decimal("0")))
    weights = [lengths[x.id] if lengths is not None else lesson_length(x, assets) for x in rest]
    for lesson, share in zip(rest, split_hours(pool, weights)):
        shares[lesson.id] = share
    return shares


# --- publishing -----------------------------------------------------------------------------------


def publish_problems(course: Course) -> list[str]:
    """Everything that stops ``course`` from being published, each in one Chinese sentence."""
    problems = []
    lessons = course.lessons()
    if not lessons:
        problems.append("课程还没有任何课时。")
    assets = assets_for(lessons)
    not_ready = []
    for lesson in lessons:
        if lesson.is_media:
            state, label = media_state(lesson, assets)
            if state != "ready":
                not_ready.append(f"《{lesson.title}》（{label}）")
            elif lesson.kind == LessonKind.VIDEO and not assets[lesson.media_asset_id].has_video:
                not_ready.append(f"《{lesson.title}》（上传的文件没有画面，请改为音频课时或重新上传）")
        elif lesson.kind == LessonKind.ARTICLE and not lesson.body.strip():
            problems.append(f"图文课时《{lesson.title}》还没有正文。")
        elif lesson.kind == LessonKind.DOCUMENT and not lesson.document_path:
            problems.append(f"文档课时《{lesson.title}》还没有上传 PDF。")
    if not_ready:
        problems.insert(0, "以下音视频课时尚未就绪：" + "、".join(not_ready) + "。")
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
        return (
            f"各课时设定的学时之和（{total}）超过了课程学时（{course.credit_hours}）。"
            "未设定学时的课时会自动分摊剩余学时。"
        )
    must_add_up = publishing or course.status != CourseStatus.DRAFT
    if must_add_up and lessons and len(fixed) == len(lessons) and total != course.credit_hours:
        return (
            f"各课时设定的学时之和（{total}）应等于课程学时（{course.credit_hours}）。"
            "可将某个课时的学时留空，由它分摊剩余学时。"
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
        raise CourseError("课程已经发布。")
    problems = publish_problems(course)
    if problems:
        raise CourseError("不能发布：" + " ".join(problems))
    course.status = CourseStatus.PUBLISHED
    course.published_at = course.published_at or utcnow()
    course.archived_at = None
    db.session.flush()
    audit.record(actor, "course.publish", course, f"发布课程《{course.title}》")
    return course


def archive_course(course: Course, actor: User) -> Course:
    if course.status != CourseStatus.PUBLISHED:
        raise CourseError("只有已发布的课程可以归档。")
    course.status = CourseStatus.ARCHIVED
    course.archived_at = utcnow()
    db.session.flush()
    audit.record(actor, "course.archive", course, f"归档课程《{course.title}》")
    return course


# --- enrolment ------------------------------------------------------------------------------------


#: Why a course's owner and co-trainers neither enrol in it nor record progress on it.
TEACHERS_EARN_NOTHING = "您是本课程的讲师：讲授的课程不计学时，无需加入学习，可用预览查看学员看到的页面。"


def enrol(course: Course, user: User, actor: User | None = None, source: str = "self") -> Enrollment:
    """Enrol ``user`` (idempotent: an existing enrolment is returned unchanged)."""
    existing = enrollment_for(user, course.id)
    if existing is not None:
        return existing
    if course.status != CourseStatus.PUBLISHED:
        raise CourseError("课程尚未发布或已归档，不能加入学习。")
    if course.is_trainer(user):
        raise CourseError(TEACHERS_EARN_NOTHING, 409)
    enrollment = Enrollment(course_id=course.id, user_id=user.id, source=source, enrolled_at=utcnow())
    try:
        with db.session.begin_nested():  # a double click racing itself: the unique constraint decides
            db.session.add(enrollment)
    except IntegrityError:
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
    return True


# --- what records needs ---------------------------------------------------------------------------


def progress_for(user_id: int, lesson_ids: list[int]) -> dict:
    """Records' view of a member's progress on ``lesson_ids`` (``{}`` for none)."""
    if not lesson_ids:
        return {}
    return progress_map(user_id, list(lesson_ids))


def lesson_facts_for(lesson_id: int, user) -> LessonFacts:
    """The facts records needs to account a heartbeat, for a member allowed to take the lesson:
    :class:`~werkzeug.exceptions.NotFound` for an unknown lesson or a course the user may not see,
    :class:`~werkzeug.exceptions.Forbidden` when not enrolled (see the module docstring)."""
    # The heartbeat's hot path: one query for the lesson, its course's state, the member's
    # enrolment and the media's state. The course's other lessons, which the lesson's share of the
    # course's 学时 depends on, are read only when records asks for the share.
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
            sa.or_(Course.owner_id == user_id, co_trainer).label("is_teacher"),
            Enrollment.id.label("enrollment_id"),
            MediaAsset.status.label("asset_status"),
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
        raise NotFound("课时不存在。")
    if row.is_teacher:  # even one enrolled before becoming a co-trainer: no progress, no ledger entry
        raise Forbidden(TEACHERS_EARN_NOTHING)
    if row.enrollment_id is None:  # enrolled members take published and archived courses alike
        if not can_see_course(user, db.session.get(Course, row.course_id)):
            raise NotFound("课时不存在。")
        raise Forbidden("请先加入本课程再学习。")
    if row.kind in MEDIA_KINDS:
        if row.asset_status != AssetStatus.READY:
            raise Forbidden("该课时的音视频尚未就绪。")
        duration = float(row.asset_duration or row.media_duration or 0.0)
    else:
        duration = reading_seconds(db.session.get(Lesson, lesson_id))
    return LessonFacts(
        lesson_id=lesson_id,
        course_id=row.course_id,
        kind=row.kind.value,
        duration=duration,
        completion_threshold=float(row.completion_threshold),
        credit_share=partial(lesson_share_for, user_id, row.course_id, lesson_id),
        gating_quiz_id=row.gating_quiz_id,
        title=row.title,
    )


def _course_with_lessons(course_id: int) -> Course:
    return db.session.get(
        Course,
        course_id,
        options=[
            lazyload(Course.owner),
            lazyload(Course.co_trainers),
            selectinload(Course.chapters).selectinload(Chapter.lessons),
        ],
    )


def lesson_share_for(user_id: int, course_id: int, lesson_id: int) -> Decimal:
    """What completing the lesson credits the member: its share of the course's 学时, but never
    more than the course's 学时 less what the member was already credited for the course's lessons
    — so however the 学时 or the shares change after some members finished lessons, no member's
    lessons add up to more than the course states. Records asks once the lesson's coverage reaches
    its threshold, inside the transaction that credits it: the member's enrolment is locked first, so
    two lessons of one course completing at once are counted one after the other."""
    db.session.execute(
        sa.select(Enrollment.id)
        .where(Enrollment.course_id == course_id, Enrollment.user_id == user_id)
        .with_for_update()
    )
    course = _course_with_lessons(course_id)
    share = credit_shares(course, assets_for(course.lessons(), with_renditions=False))[lesson_id]
    return max(Decimal("0"), min(share, course.credit_hours - credited_for_course(user_id, course_id)))


# --- catalog, course page, my learning ------------------------------------------------------------


SORTS = {"newest": "最新发布", "popular": "学习人数最多"}


def catalog_query(
    *,
    category: str | None = None,
    required: str | None = None,
    kind: str | None = None,
    q: str | None = None,
    tag: str | None = None,
    sort: str = "newest",
):
    """Published courses, filtered and sorted (``popular``: most enrolled first)."""
    query = sa.select(Course).where(Course.status == CourseStatus.PUBLISHED)
    if category in CATEGORIES:
        query = query.where(Course.category == category)
    if required in ("1", "0"):
        query = query.where(Course.is_required.is_(required == "1"))
    if kind in {k.value for k in CourseKind}:
        query = query.where(Course.kind == kind)
    if tag:
        query = query.where(Course.tags.contains(f",{tag.strip()},", autoescape=True))
    if q and q.strip():
        words = q.strip()[:50]
        query = query.where(
            sa.or_(
                Course.title.contains(words, autoescape=True),
                Course.summary.contains(words, autoescape=True),
                Course.tags.contains(words, autoescape=True),
            )
        )
    if sort == "popular":  # the enrolment counts are joined only when they decide the order
        counts = (
            sa.select(Enrollment.course_id, sa.func.count().label("n"))
            .group_by(Enrollment.course_id)
            .subquery()
        )
        learners = sa.func.coalesce(counts.c.n, 0)
        query = query.outerjoin(counts, counts.c.course_id == Course.id).order_by(
            learners.desc(), Course.published_at.desc(), Course.id.desc()
        )
    else:
        query = query.order_by(Course.published_at.desc(), Course.id.desc())
    return query


def learner_counts(course_ids: list[int]) -> dict[int, int]:
    """Members enrolled in each course, in one grouped query."""
    if not course_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(Enrollment.course_id, sa.func.count())
            .where(Enrollment.course_id.in_(course_ids))
            .group_by(Enrollment.course_id)
        ).all()
    )


@dataclass
class LessonRow:
    lesson: Lesson
    length: float
    progress: object | None  # records' LessonProgressView
    state: str  # for media lessons: ready, transcoding, failed, missing...
    state_label: str

    @property
    def percent(self) -> int:
        return round(100 * self.progress.covered_ratio) if self.progress else 0

    @property
    def completed(self) -> bool:
        return bool(self.progress and self.progress.completed)


@dataclass
class Outline:
    course: Course
    chapters: list[tuple[Chapter, list[LessonRow]]]
    shares: dict[int, Decimal]

    @property
    def rows(self) -> list[LessonRow]:
        return [row for _chapter, rows in self.chapters for row in rows]

    @property
    def completed_count(self) -> int:
        return sum(1 for row in self.rows if row.completed)

    @property
    def percent(self) -> int:
        rows = self.rows
        return round(100 * self.completed_count / len(rows)) if rows else 0

    def resume_row(self, last_lesson_id: int | None) -> LessonRow | None:
        """The lesson to continue with: the one opened last unless complete, else the first not complete."""
        rows = self.rows
        last = next((r for r in rows if r.lesson.id == last_lesson_id), None)
        if last is not None and not last.completed:
            return last
        return next((r for r in rows if not r.completed), last or (rows[0] if rows else None))


def course_outline(course: Course, user_id: int | None) -> Outline:
    """Chapters and lessons with lengths, media state and (for a member) progress: a few queries."""
    chapters = db.session.scalars(
        sa.select(Chapter).where(Chapter.course_id == course.id).order_by(Chapter.position)
    ).all()
    lessons = db.session.scalars(
        sa.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position, Lesson.id)
    ).all()
    assets = assets_for(lessons)
    progress = progress_for(user_id, [lesson.id for lesson in lessons]) if user_id else {}
    by_chapter: dict[int, list[LessonRow]] = {c.id: [] for c in chapters}
    lengths = {lesson.id: lesson_length(lesson, assets) for lesson in lessons}
    for lesson in lessons:
        state, label = media_state(lesson, assets) if lesson.is_media else ("ready", "")
        by_chapter[lesson.chapter_id].append(
            LessonRow(lesson, lengths[lesson.id], progress.get(lesson.id), state, label)
        )
    ordered = [row.lesson for c in chapters for row in by_chapter[c.id]]
    shares = credit_shares(course, assets, lengths, ordered)
    return Outline(course, [(c, by_chapter[c.id]) for c in chapters], shares)


def neighbours(course: Course, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    lessons = course.lessons()
    index = next(i for i, x in enumerate(lessons) if x.id == lesson.id)
    return (
        lessons[index - 1] if index > 0 else None,
        lessons[index + 1] if index + 1 < len(lessons) else None,
    )


@dataclass
class MyCourse:
    course: Course
    enrollment: Enrollment
    lessons_total: int
    lessons_done: int
    due_on: object | None = None  # date of the earliest assignment naming this course

    @property
    def percent(self) -> int:
        return round(100 * self.lessons_done / self.lessons_total) if self.lessons_total else 0


def my_courses(user: User) -> list[MyCourse]:
    """Every course ``user`` is enrolled in, most recently opened first, with lesson progress and
    the due date of any assignment: a fixed number of queries whatever the number of courses."""
    from courses.assignments import due_dates_for

    enrollments = db.session.scalars(
        sa.select(Enrollment)
        .where(Enrollment.user_id == user.id)
        .order_by(sa.func.coalesce(Enrollment.last_accessed_at, Enrollment.enrolled_at).desc())
    ).all()
    if not enrollments:
        return []
    course_ids = [e.course_id for e in enrollments]
    lesson_rows = db.session.execute(
        sa.select(Lesson.id, Lesson.course_id).where(Lesson.course_id.in_(course_ids))
    ).all()
    progress = progress_for(user.id, [row.id for row in lesson_rows])
    totals: dict[int, int] = {}
    done: dict[int, int] = {}
    for lesson_id, course_id in lesson_rows:
        totals[course_id] = totals.get(course_id, 0) + 1
        view = progress.get(lesson_id)
        if view is not None and view.completed:
            done[course_id] = done.get(course_id, 0) + 1
    dues = due_dates_for(user.id, course_ids)
    return [
        MyCourse(e.course, e, totals.get(e.course_id, 0), done.get(e.course_id, 0), dues.get(e.course_id))
        for e in enrollments
    ]


def trainer_courses_query(user: User):
    """Courses ``user`` owns or co-teaches (every course for admins), newest first."""
    query = sa.select(Course).order_by(Course.updated_at.desc(), Course.id.desc())
    if not user.is_admin:
        co = sa.select(CourseTrainer.course_id).where(CourseTrainer.user_id == user.id)
        query = query.where(sa.or_(Course.owner_id == user.id, Course.id.in_(co)))
    return query


def pending_media_lessons(user: User, limit: int = 20) -> list[tuple[Lesson, MediaAsset | None]]:
    """Video and audio lessons of ``user``'s courses that are not playable yet (transcoding,
    failed, or with nothing uploaded), for the trainer's home page."""
    course_ids = sa.select(trainer_courses_query(user).subquery().c.id)
    rows = db.session.execute(
        sa.select(Lesson, MediaAsset)
        .outerjoin(MediaAsset, MediaAsset.id == Lesson.media_asset_id)
        .where(
            Lesson.course_id.in_(course_ids),
            Lesson.kind.in_([LessonKind.VIDEO, LessonKind.AUDIO]),
            sa.or_(MediaAsset.id.is_(None), MediaAsset.status != AssetStatus.READY),
        )
        .order_by(Lesson.updated_at.desc())
        .limit(limit)
    ).all()
    return [(lesson, asset) for lesson, asset in rows]


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
        url = page_url("courses.edit_lesson", lesson_id=lesson.id)
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
    from courses.assignments import on_members_imported, on_user_arrived  # assignments imports this module
    from media_pipeline.services import register_viewer_check

    media_ready.connect(on_media_ready)
    media_failed.connect(on_media_failed)
    lesson_completed.connect(on_lesson_completed)
    user_created.connect(on_user_arrived)
    user_branch_changed.connect(on_user_arrived)
    members_imported.connect(on_members_imported)
    register_viewer_check(can_view_lesson_media)
    _connected = True
