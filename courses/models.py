"""Courses → chapters → lessons, enrolments, assignments (学习任务), flipped-class sessions,
check-in and homework, and lesson discussion.

Lessons hold the media pipeline's ``media_asset_id`` and the quiz domain's ``gating_quiz_id`` as
plain indexed integers: those tables belong to other domains with their own migrations.
What a member has watched is not stored here; the records domain owns progress and hours.
"""

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.models import TimestampMixin
from app.core.types import UTCDateTime, enum_column
from app.extensions import db


def new_shares_version() -> str:
    """A stamp no other state of any course ever had (course ids may be reused, stamps are not)."""
    return uuid.uuid4().hex


# Enum + labels per column, alike in shape to qa's, quiz's and accounts' enums, kept apart: own values.
class CourseKind(enum.StrEnum):
    MOOC = "mooc"
    FLIPPED = "flipped"


class CourseStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class LessonKind(enum.StrEnum):
    VIDEO = "video"
    AUDIO = "audio"
    ARTICLE = "article"
    DOCUMENT = "document"


class AttendanceStatus(enum.StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    #: 补签: recorded by a trainer for a member who attended without checking in.
    MANUAL = "manual"


KIND_LABELS = {CourseKind.MOOC: _l("在线课程"), CourseKind.FLIPPED: _l("翻转课堂")}
STATUS_LABELS = {
    CourseStatus.DRAFT: _l("草稿"),
    CourseStatus.PUBLISHED: _l("已发布"),
    CourseStatus.ARCHIVED: _l("已归档"),
}
LESSON_KIND_LABELS = {
    LessonKind.VIDEO: _l("视频"),
    LessonKind.AUDIO: _l("音频"),
    LessonKind.ARTICLE: _l("图文"),
    LessonKind.DOCUMENT: _l("文档"),
}
ATTENDANCE_LABELS = {
    AttendanceStatus.ON_TIME: _l("按时签到"),
    AttendanceStatus.LATE: _l("迟到"),
    AttendanceStatus.MANUAL: _l("补签"),
}
#: Catalog categories (key → label); the key is stored on the course.
CATEGORIES = {
    "theory": _l("理论学习"),
    "history": _l("党史学习教育"),
    "rules": _l("党章党规党纪"),
    "policy": _l("形势与政策"),
    "integrity": _l("廉洁文化"),
    "skills": _l("业务能力"),
}
MEDIA_KINDS = (LessonKind.VIDEO, LessonKind.AUDIO)


class CourseTrainer(db.Model):
    """A co-trainer (协作讲师) of a course: edits it like its owner, except for the co-trainer list."""

    __tablename__ = "course_trainer"

    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Course(TimestampMixin, db.Model):
    __tablename__ = "course"
    __table_args__ = (sa.Index("ix_course_status_published", "status", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    #: Markdown shown on the course page (sanitised when rendered).
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    #: Cover image, relative to MEDIA_ROOT; served by the courses blueprint.
    cover_path: Mapped[str | None] = mapped_column(sa.String(255))
    #: A key of :data:`CATEGORIES`.
    category: Mapped[str] = mapped_column(sa.String(32), index=True)
    #: Tags joined with commas and wrapped in them (",党史,二十大,") so one LIKE finds a tag.
    tags: Mapped[str] = mapped_column(sa.String(255), default="")
    #: 学时 a member earns for the whole course; lessons share it (see services.shares.credit_shares).
    credit_hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal("1.00"))
    #: Changes (a fresh random stamp) on every flush that may change the lessons' shares of
    #: :attr:`credit_hours`; the shares are cached per (course id, stamp), see ``courses.shares``.
    shares_version: Mapped[str] = mapped_column(sa.String(32), default=new_shares_version, server_default="")
    kind: Mapped[CourseKind] = mapped_column(enum_column(CourseKind, "course_kind"), default=CourseKind.MOOC)
    status: Mapped[CourseStatus] = mapped_column(
        enum_column(CourseStatus, "course_status"), default=CourseStatus.DRAFT
    )
    #: 必修 (True) or 选修.
    is_required: Mapped[bool] = mapped_column(default=False)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner = relationship("User", lazy="joined", foreign_keys=[owner_id])
    co_trainers = relationship("User", secondary="course_trainer", lazy="selectin", order_by="User.name")
    chapters: Mapped[list["Chapter"]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="Chapter.position"
    )
    sessions: Mapped[list["ClassSession"]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="ClassSession.starts_at"
    )

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.title}>"

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    # Label properties alike in shape to quiz's and kb's: one line each, no mixin.
    @property
    def category_label(self) -> str:
        return str(CATEGORIES.get(self.category, self.category))

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def is_published(self) -> bool:
        return self.status == CourseStatus.PUBLISHED

    @property
    def is_flipped(self) -> bool:
        return self.kind == CourseKind.FLIPPED

    def is_trainer(self, user) -> bool:
        """The owner or a co-trainer (admins excepted: see :meth:`can_edit`)."""
        return user.id == self.owner_id or any(t.id == user.id for t in self.co_trainers)

    def can_edit(self, user) -> bool:
        return bool(user and user.is_authenticated and (user.is_admin or self.is_trainer(user)))

    def lessons(self) -> list["Lesson"]:
        return [lesson for chapter in self.chapters for lesson in chapter.lessons]


class Chapter(db.Model):
    __tablename__ = "course_chapter"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    #: Order within the course, from 1.
    position: Mapped[int] = mapped_column(default=1)

    course: Mapped[Course] = relationship(back_populates="chapters")
    lessons: Mapped[list["Lesson"]] = relationship(
        back_populates="chapter", cascade="all, delete-orphan", order_by="Lesson.position"
    )


class Lesson(TimestampMixin, db.Model):
    __tablename__ = "course_lesson"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Denormalised from the chapter so outlines and access checks need one join less.
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    chapter_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_chapter.id", ondelete="CASCADE"), index=True
    )
    #: Order within the chapter, from 1.
    position: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[LessonKind] = mapped_column(enum_column(LessonKind, "lesson_kind"))
    #: The media pipeline's asset (video and audio lessons); no foreign key across domains.
    media_asset_id: Mapped[int | None] = mapped_column(index=True)
    #: Seconds of media, copied from the asset when it became ready (the asset stays the truth).
    media_duration: Mapped[float | None]
    #: Markdown text of an article lesson (or notes under a video).
    body: Mapped[str] = mapped_column(sa.Text, default="")
    #: A document lesson's PDF, relative to MEDIA_ROOT, and the name it was uploaded as.
    document_path: Mapped[str | None] = mapped_column(sa.String(255))
    document_name: Mapped[str | None] = mapped_column(sa.String(255))
    #: Captions (WebVTT) of a video or audio lesson, relative to MEDIA_ROOT: the player's <track>.
    captions_path: Mapped[str | None] = mapped_column(sa.String(255))
    #: Reading time of an article or document set by the trainer; estimated from the text if unset.
    estimated_minutes: Mapped[int | None]
    #: Fraction of the lesson that must be covered to complete it.
    completion_threshold: Mapped[Decimal] = mapped_column(sa.Numeric(3, 2), default=Decimal("0.95"))
    #: 学时 of this lesson set by the trainer; ``None`` = a share of the course's by length.
    credit_share: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))
    #: A quiz (quiz domain) that must be passed to complete the lesson; no foreign key across domains.
    gating_quiz_id: Mapped[int | None] = mapped_column(index=True)

    chapter: Mapped[Chapter] = relationship(back_populates="lessons")
    course: Mapped[Course] = relationship(foreign_keys=[course_id])

    # __repr__ and kind_label alike in shape to Article's, Notice's and MediaAsset's: one line each.
    def __repr__(self) -> str:
        return f"<Lesson {self.id} {self.title}>"

    @property
    def kind_label(self) -> str:
        return str(LESSON_KIND_LABELS[self.kind])

    @property
    def is_media(self) -> bool:
        return self.kind in MEDIA_KINDS


class Enrollment(db.Model):
    __tablename__ = "course_enrollment"
    __table_args__ = (
        sa.UniqueConstraint("course_id", "user_id", name="uq_course_enrollment_course_user"),
        sa.Index("ix_course_enrollment_user_accessed", "user_id", "last_accessed_at"),
        # Completed enrolments only: the coordinators' assignment report reads just these, from the
        # index alone (a partial index is a fraction of a million-row table).
        sa.Index(
            "ix_course_enrollment_completed",
            "user_id",
            "course_id",
            postgresql_where=sa.text("completed_at IS NOT NULL"),
            sqlite_where=sa.text("completed_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: How the member came in: "self" (enrolled or started a lesson), "assignment", "admin".
    source: Mapped[str] = mapped_column(sa.String(16), default="self")
    #: Set once every lesson is complete (from records' lesson_completed signal).
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The lesson opened last and when, for "continue where I left off" (positions live in records).
    last_lesson_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course_lesson.id", ondelete="SET NULL"))
    last_accessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship(lazy="joined")
    user = relationship("User")


# --- assignments (学习任务) ---------------------------------------------------------------------------


class CourseAssignment(db.Model):
    """A coordinator assigns courses to a branch subtree or to chosen members, with a due date.
    Whether a member is overdue is derived (due date passed, courses not all completed)."""

    __tablename__ = "course_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    #: The branch whose subtree was assigned; ``None`` when members were chosen one by one.
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id", ondelete="SET NULL"), index=True)
    start_on: Mapped[date]
    due_on: Mapped[date] = mapped_column(index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    branch = relationship("Branch")
    created_by = relationship("User")
    courses: Mapped[list[Course]] = relationship(secondary="course_assignment_course", order_by="Course.id")


class AssignmentCourse(db.Model):
    __tablename__ = "course_assignment_course"

    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_assignment.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course.id", ondelete="CASCADE"), primary_key=True, index=True
    )


# Alike in shape to AssignmentCourse (link table, two keys), kept apart: different rows.
class AssignmentMember(db.Model):
    """One member an assignment applies to (resolved from the branch subtree when assigned)."""

    __tablename__ = "course_assignment_member"

    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_assignment.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class AssignmentReminder(db.Model):
    """A reminder sent: at most one per member, assignment and day, whoever runs the job."""

    __tablename__ = "course_assignment_reminder"
    __table_args__ = (
        sa.UniqueConstraint(
            "assignment_id", "user_id", "on_day", name="uq_course_assignment_reminder_assignment_user_day"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("course_assignment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: The local (Asia/Shanghai) day it was sent for.
    on_day: Mapped[date]
    #: Days before the due date (positive) or after it (negative).
    days_to_due: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# --- flipped classes ------------------------------------------------------------------------------------


class ClassSession(TimestampMixin, db.Model):
    """A meeting of a flipped course (面授/线上研讨), with check-in and a post-class assignment."""

    __tablename__ = "course_class_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Online meeting link, for classes held online.
    meeting_url: Mapped[str] = mapped_column(sa.String(500), default="")
    trainer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    #: Offline minutes credited to each member who checks in (records converts them to 学时).
    credit_minutes: Mapped[int] = mapped_column(default=90)
    #: The current check-in code and its validity; ``None`` when check-in is closed.
    checkin_code: Mapped[str | None] = mapped_column(sa.String(8))
    checkin_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checkin_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The post-class assignment (课后作业); empty when there is none.
    homework_prompt: Mapped[str] = mapped_column(sa.Text, default="")
    homework_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship(back_populates="sessions")
    trainer = relationship("User", foreign_keys=[trainer_id])
    pre_lessons: Mapped[list[Lesson]] = relationship(
        secondary="course_class_session_lesson", order_by="Lesson.id"
    )


class SessionLesson(db.Model):
    """A lesson that must be completed before a class session (课前学习)."""

    __tablename__ = "course_class_session_lesson"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_class_session.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_lesson.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Attendance(db.Model):
    """A member checked in to a class session (once), or a trainer recorded that they attended
    (补签, with the trainer and the reason). Absence is derived: no row after the end."""

    __tablename__ = "course_attendance"
    __table_args__ = (sa.UniqueConstraint("session_id", "user_id", name="uq_course_attendance_session_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("course_class_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    checked_in_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus, "attendance_status"))
    #: "code" (typed), "qr" (scanned the trainer's QR code) or "manual" (recorded by the trainer).
    method: Mapped[str] = mapped_column(sa.String(8), default="code")
    #: 补签 only: the trainer who recorded it and why; ``None`` for a member's own check-in.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(sa.String(200))

    user = relationship("User", foreign_keys=[user_id])
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])

    @property
    def status_label(self) -> str:
        return str(ATTENDANCE_LABELS[self.status])


class CheckinFailure(db.Model):
    """A wrong check-in code a member typed for a class session, kept for the attempt limit: six
    digits fall to a script in seconds otherwise (see ``courses.classes.check_in``)."""

    __tablename__ = "course_checkin_failure"
    __table_args__ = (sa.Index("ix_course_checkin_failure_attempt", "session_id", "user_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("course_class_session.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HomeworkSubmission(TimestampMixin, db.Model):
    """A member's post-class assignment: text and an optional file; reviewed and scored by a trainer."""

    __tablename__ = "course_homework"
    __table_args__ = (sa.UniqueConstraint("session_id", "user_id", name="uq_course_homework_session_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("course_class_session.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    #: The attached file, relative to MEDIA_ROOT, with the name it was uploaded as.
    file_path: Mapped[str | None] = mapped_column(sa.String(255))
    file_name: Mapped[str | None] = mapped_column(sa.String(255))
    file_size: Mapped[int | None]
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: 0–100, with the trainer's comment; ``None`` until reviewed.
    score: Mapped[int | None]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", foreign_keys=[user_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])


# --- discussion ------------------------------------------------------------------------------------------


class LessonComment(db.Model):
    __tablename__ = "course_lesson_comment"
    __table_args__ = (sa.Index("ix_course_lesson_comment_lesson_created", "lesson_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(sa.ForeignKey("course_lesson.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    #: The comment this one replies to (one level: replies to a reply attach to its parent).
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("course_lesson_comment.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Picked out by a trainer (精选); shown first.
    is_highlighted: Mapped[bool] = mapped_column(default=False)
    #: Hidden by a trainer or admin after a report; kept for the audit trail.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    report_count: Mapped[int] = mapped_column(default=0)

    user = relationship("User", foreign_keys=[user_id], lazy="joined")


class CommentReport(db.Model):
    __tablename__ = "course_comment_report"
    __table_args__ = (
        sa.UniqueConstraint("comment_id", "user_id", name="uq_course_comment_report_comment_user"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("course_lesson_comment.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
