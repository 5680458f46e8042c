"""Building courses: course data, co-trainers, chapters and lessons (the trainer's side)."""

import re
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden

from app.accounts.models import Role, User
from app.core import audit
from app.core.models import AuditEntry
from app.core.signals import lesson_deleted
from app.extensions import db
from courses import files
from courses.models import (
    CATEGORIES,
    Chapter,
    Course,
    CourseKind,
    CourseStatus,
    CourseTrainer,
    Lesson,
    LessonKind,
)
from courses.services.base import TITLE_MAX, CourseError
from courses.services.publishing import check_shares
from media_pipeline.models import AssetPurpose, AssetStatus, MediaAsset

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


def _clean_title(title: str, what: str | None = None) -> str:
    what = what or _("标题")
    title = (title or "").strip()
    if not title:
        raise CourseError(_("%(what)s不能为空。", what=what))
    if len(title) > TITLE_MAX:
        raise CourseError(_("%(what)s不能超过 %(max)s 个字。", what=what, max=TITLE_MAX))
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
    data.title = _clean_title(data.title, _("课程名称"))
    if data.category not in CATEGORIES:
        raise CourseError(_("请选择课程分类。"))
    if data.kind not in {k.value for k in CourseKind}:
        raise CourseError(_("请选择课程类型。"))
    hours = Decimal(str(data.credit_hours)) if data.credit_hours is not None else None
    if hours is None or not hours.is_finite() or hours < 0 or hours > Decimal("200"):
        raise CourseError(_("学时须在 0 到 200 之间。"))
    data.credit_hours = hours.quantize(Decimal("0.01"))
    data.tags = _clean_tags(data.tags)
    data.summary = (data.summary or "").strip()
    return data


# Build, add, flush, audit: alike in shape to kb's _add_revision and add_attachment, kept apart.
def create_course(data: CourseData, actor: User) -> Course:
    if not actor.has_any_role(Role.TRAINER):
        raise Forbidden(_("只有讲师可以创建课程。"))
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
    the course's 学时: records caps each lesson's credit, see ``app.records.services.accounting``)."""
    data = _validate_course(data)
    if course.status != CourseStatus.DRAFT and CourseKind(data.kind) != course.kind:
        raise CourseError(_("已发布的课程不能更改课程类型。"))
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
        raise Forbidden(_("只有课程负责人可以设置协作讲师。"))
    if not trainer.has_role(Role.TRAINER):
        raise CourseError(_("%(trainer)s 不是讲师，不能协作讲授课程。", trainer=trainer))
    if trainer.id == course.owner_id or any(t.id == trainer.id for t in course.co_trainers):
        raise CourseError(_("%(trainer)s 已是本课程的讲师。", trainer=trainer))
    db.session.add(CourseTrainer(course_id=course.id, user_id=trainer.id))
    db.session.flush()
    db.session.expire(course, ["co_trainers"])
    audit.record(actor, "course.co_trainer.add", course, f"添加协作讲师 {trainer}")


def remove_co_trainer(course: Course, trainer: User, actor: User) -> None:
    if not (actor.is_admin or actor.id == course.owner_id):
        raise Forbidden(_("只有课程负责人可以设置协作讲师。"))
    row = db.session.get(CourseTrainer, (course.id, trainer.id))
    if row is None:
        raise CourseError(_("%(trainer)s 不是本课程的协作讲师。", trainer=trainer))
    db.session.delete(row)
    db.session.flush()
    db.session.expire(course, ["co_trainers"])
    audit.record(actor, "course.co_trainer.remove", course, f"移除协作讲师 {trainer}")


# --- authoring: chapters and lessons --------------------------------------------------------------


def add_chapter(course: Course, title: str, actor: User) -> Chapter:
    title = _clean_title(title, _("章节名称"))
    position = max((c.position for c in course.chapters), default=0) + 1
    chapter = Chapter(course=course, title=title, position=position)
    db.session.add(chapter)
    db.session.flush()
    audit.record(actor, "course.chapter.add", course, f"添加章节「{title}」")
    return chapter


def rename_chapter(chapter: Chapter, title: str, actor: User) -> Chapter:
    chapter.title = _clean_title(title, _("章节名称"))
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
        raise CourseError(_("已发布课程的章节中还有课时，请先删除或移走其中的课时。"))
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
    data.title = _clean_title(data.title, _("课时名称"))
    if data.kind not in {k.value for k in LessonKind}:
        raise CourseError(_("请选择课时类型。"))
    threshold = Decimal(str(data.completion_threshold if data.completion_threshold is not None else "0.95"))
    if not Decimal("0.10") <= threshold <= Decimal("1.00"):
        raise CourseError(_("完成比例须在 10% 到 100% 之间。"))
    data.completion_threshold = threshold.quantize(Decimal("0.01"))
    if data.credit_share is not None:
        share = Decimal(str(data.credit_share))
        if not share.is_finite() or share < 0 or share > Decimal("200"):
            raise CourseError(_("课时学时须在 0 到 200 之间。"))
        data.credit_share = share.quantize(Decimal("0.01"))
    if data.estimated_minutes is not None and not 1 <= data.estimated_minutes <= 600:
        raise CourseError(_("预计学习时长须在 1 到 600 分钟之间。"))
    if data.media_asset_id is not None:
        if data.kind not in (LessonKind.VIDEO, LessonKind.AUDIO):
            data.media_asset_id = None
        else:
            asset = db.session.get(MediaAsset, data.media_asset_id)
            if asset is None or not (actor.is_admin or asset.owner_id == actor.id):
                raise CourseError(_("所选音视频不存在或不是您上传的。"))
            if asset.purpose is AssetPurpose.WORK:
                raise CourseError(_("这是党员为作品上传的视频，不能用作课程的音视频。"))
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
        raise CourseError(_("已发布课程的课时不能更改类型，请新建课时。"))
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


def set_lesson_captions(lesson: Lesson, stored: files.StoredFile, actor: User) -> str | None:
    """Give a media lesson its captions file; returns the replaced file's path for the caller to
    remove after the commit."""
    old = lesson.captions_path
    lesson.captions_path = stored.relative
    db.session.flush()
    audit.record(
        actor, "course.lesson.captions", lesson.course, f"上传课时《{lesson.title}》字幕 {stored.name}"
    )
    return old


def move_lesson(
    lesson: Lesson, actor: User, *, direction: str | None = None, chapter: Chapter | None = None
) -> None:
    """Move a lesson one place up or down within its chapter, or to the end of another chapter."""
    course = lesson.course
    if chapter is not None and chapter.id != lesson.chapter_id:
        if chapter.course_id != lesson.course_id:
            raise CourseError(_("只能在同一课程的章节之间移动课时。"))
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
