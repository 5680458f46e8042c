"""Flipped classes (翻转课堂): class sessions, pre-class lessons, check-in, homework.

Check-in: the trainer opens it and shows a six-digit code (and a QR code carrying it) valid for
COURSES_CHECKIN_MINUTES; each enrolled member checks in once, on time or late (after the start
plus COURSES_LATE_AFTER_MINUTES). A trainer of the course may record a member who attended without
checking in (补签), with a reason. Absence is derived: enrolled, no check-in, session over.
Attendance credits offline hours through :func:`credit_attendance`, the one call into records.
"""

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import User
from app.core import audit
from app.core.clock import LOCAL_TZ, utcnow
from app.core.transactions import insert_in_savepoint
from app.core.urls import site_path
from app.extensions import db
from app.records.services.ledger import credit_offline_hours
from courses import files
from courses.models import (
    Attendance,
    AttendanceStatus,
    CheckinFailure,
    ClassSession,
    Course,
    CourseKind,
    Enrollment,
    HomeworkSubmission,
    Lesson,
)
from courses.services.access import enrollment_for, get_course_for
from courses.services.base import CourseError
from courses.services.enrolment import progress_for

logger = logging.getLogger(__name__)


# Alike in shape to get_lesson_for (get, 404, course access), kept apart: a different row.
def get_session_for(session_id: int, user, *, edit: bool = False) -> ClassSession:
    session = db.session.get(ClassSession, session_id)
    if session is None:
        raise NotFound(_("课堂不存在。"))
    get_course_for(session.course_id, user, edit=edit)
    return session


@dataclass
class SessionData:
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str = ""
    meeting_url: str = ""
    credit_minutes: int = 90
    homework_prompt: str = ""
    homework_due_at: datetime | None = None
    pre_lesson_ids: list[int] | None = None
    trainer_id: int | None = None


def _validate(course: Course, data: SessionData) -> list[Lesson]:
    if course.kind != CourseKind.FLIPPED:
        raise CourseError(_("只有翻转课堂类课程可以安排课堂。"))
    title = (data.title or "").strip()
    if not title or len(title) > 120:
        raise CourseError(_("请填写课堂名称（不超过 120 个字）。"))
    data.title = title
    if data.starts_at is None or data.ends_at is None or data.ends_at <= data.starts_at:
        raise CourseError(_("结束时间须晚于开始时间。"))
    if not data.place.strip() and not data.meeting_url.strip():
        raise CourseError(_("请填写上课地点或线上会议链接。"))
    if data.meeting_url and not data.meeting_url.startswith(("http://", "https://")):
        raise CourseError(_("会议链接须以 http:// 或 https:// 开头。"))
    if not 0 <= data.credit_minutes <= 24 * 60:
        raise CourseError(_("计入学时的分钟数须在 0 到 1440 之间。"))
    length = int((data.ends_at - data.starts_at).total_seconds() // 60)
    if data.credit_minutes > length:
        # Hours are what the class lasted: a 45-minute class cannot credit a day.
        raise CourseError(_("计入学时的分钟数不能超过课堂时长（%(length)s 分钟）。", length=length))
    if data.homework_due_at is not None and data.homework_due_at < data.starts_at:
        raise CourseError(_("作业截止时间不能早于课堂开始时间。"))
    ids = set(data.pre_lesson_ids or [])
    lessons = [lesson for lesson in course.lessons() if lesson.id in ids]
    if len(lessons) != len(ids):
        raise CourseError(_("课前学习只能选本课程的课时。"))
    return lessons


def _apply(session: ClassSession, data: SessionData, lessons: list[Lesson]) -> None:
    session.title = data.title
    session.starts_at, session.ends_at = data.starts_at, data.ends_at
    session.place, session.meeting_url = data.place.strip(), data.meeting_url.strip()
    session.credit_minutes = data.credit_minutes
    session.homework_prompt = (data.homework_prompt or "").strip()
    session.homework_due_at = data.homework_due_at
    session.pre_lessons = lessons
    if data.trainer_id:
        session.trainer_id = data.trainer_id


def create_session(course: Course, data: SessionData, actor: User) -> ClassSession:
    lessons = _validate(course, data)
    session = ClassSession(course_id=course.id, trainer_id=actor.id)
    _apply(session, data, lessons)
    db.session.add(session)
    db.session.flush()
    audit.record(
        actor, "course.session.create", course, f"安排课堂「{session.title}」", {"session": session.id}
    )
    return session


def update_session(session: ClassSession, data: SessionData, actor: User) -> ClassSession:
    lessons = _validate(session.course, data)
    _apply(session, data, lessons)
    db.session.flush()
    audit.record(
        actor,
        "course.session.update",
        session.course,
        f"修改课堂「{session.title}」",
        {"session": session.id},
    )
    return session


# --- pre-class lessons ----------------------------------------------------------------------------


def outstanding_lessons(session: ClassSession, user_id: int) -> list[Lesson]:
    """The pre-class lessons the member has not completed yet (what they still owe)."""
    lessons = session.pre_lessons
    progress = progress_for(user_id, [lesson.id for lesson in lessons])
    return [lesson for lesson in lessons if not (progress.get(lesson.id) and progress[lesson.id].completed)]


# --- check-in -------------------------------------------------------------------------------------


def open_checkin(session: ClassSession, actor: User, minutes: int | None = None) -> ClassSession:
    """Start (or restart, with a new code) the check-in window."""
    minutes = minutes or current_app.config["COURSES_CHECKIN_MINUTES"]
    if not 1 <= minutes <= 240:
        raise CourseError(_("签到有效时间须在 1 到 240 分钟之间。"))
    now = utcnow()
    session.checkin_code = f"{secrets.randbelow(10**6):06d}"
    session.checkin_opened_at = now
    session.checkin_expires_at = now + timedelta(minutes=minutes)
    db.session.flush()
    audit.record(
        actor, "course.checkin.open", session.course, f"开启课堂「{session.title}」签到，{minutes} 分钟有效"
    )
    return session


def close_checkin(session: ClassSession, actor: User) -> None:
    session.checkin_expires_at = min(session.checkin_expires_at or utcnow(), utcnow())
    db.session.flush()
    audit.record(actor, "course.checkin.close", session.course, f"结束课堂「{session.title}」签到")


def checkin_is_open(session: ClassSession, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return bool(session.checkin_code and session.checkin_expires_at and now <= session.checkin_expires_at)


def attendance_for(session: ClassSession, user_id: int) -> Attendance | None:
    return db.session.scalars(
        sa.select(Attendance).where(Attendance.session_id == session.id, Attendance.user_id == user_id)
    ).first()


class WrongCheckinCode(CourseError):
    """A wrong code: refused, and counted against the member's attempts (the caller commits it)."""


class CheckinLocked(CourseError):
    """Too many wrong codes for this session lately (429); ``retry_at`` says when to try again."""

    def __init__(self, message: str, retry_at: datetime):
        super().__init__(message, 429)
        self.retry_at = retry_at


def _lock_enrollment(member: User, course_id: int) -> bool:
    """Lock the member's enrolment (False when there is none): one member's check-in attempts
    are judged one at a time. Only the id is selected: the row's eager joins cannot be locked."""
    return (
        db.session.scalar(
            sa.select(Enrollment.id)
            .where(Enrollment.course_id == course_id, Enrollment.user_id == member.id)
            .with_for_update()
        )
        is not None
    )


def _check_attempts(session: ClassSession, member: User, now: datetime) -> None:
    """Refuse (429) while the member has typed COURSES_CHECKIN_MAX_FAILURES wrong codes for the
    session in the last COURSES_CHECKIN_FAILURE_WINDOW_MINUTES: six digits are a million codes, which
    a script would otherwise try at dozens a second. Forgets failures older than the window."""
    config = current_app.config
    window = timedelta(minutes=config["COURSES_CHECKIN_FAILURE_WINDOW_MINUTES"])
    mine = sa.and_(CheckinFailure.session_id == session.id, CheckinFailure.user_id == member.id)
    db.session.execute(sa.delete(CheckinFailure).where(mine, CheckinFailure.occurred_at <= now - window))
    recent = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(CheckinFailure.occurred_at)).where(
            mine, CheckinFailure.occurred_at > now - window
        )
    ).one()
    if recent[0] >= config["COURSES_CHECKIN_MAX_FAILURES"]:
        retry_at = recent[1] + window
        raise CheckinLocked(
            _(
                "签到码错误次数过多，请于 %(time)s 后再试（或请讲师为您补签）。",
                time=f"{retry_at.astimezone(LOCAL_TZ):%H:%M:%S}",
            ),
            retry_at,
        )


def check_in(session: ClassSession, member: User, code: str, method: str = "code") -> Attendance:
    """Check ``member`` in with ``code``: refused with a message when not enrolled, closed, expired,
    wrong or already done, and (429) after too many wrong codes — a right one included — until the
    window passes. A wrong code raises :class:`WrongCheckinCode` with the failure added to the
    session: the caller commits it. Credits the session's offline hours."""
    if session.course.is_trainer(member):
        raise CourseError(_("本课程的讲师不签到，也不从本课程获得学时。"), 403)
    if not _lock_enrollment(member, session.course_id):
        raise CourseError(_("您尚未加入本课程，不能签到。"))
    if attendance_for(session, member.id) is not None:
        raise CourseError(_("您已签到，无需重复签到。"))
    now = utcnow()
    if not session.checkin_code:
        raise CourseError(_("讲师尚未开启签到。"))
    code = (code or "").strip()
    if not code:
        raise CourseError(_("请输入签到码。"))
    _check_attempts(session, member, now)
    if not hmac.compare_digest(code.encode(), session.checkin_code.encode()):
        db.session.add(CheckinFailure(session_id=session.id, user_id=member.id, occurred_at=now))
        db.session.flush()
        raise WrongCheckinCode(_("签到码错误，请核对讲师展示的签到码。"))
    if now > session.checkin_expires_at:
        raise CourseError(_("签到码已过期，请向讲师索取新的签到码。"))
    late_after = session.starts_at + timedelta(minutes=current_app.config["COURSES_LATE_AFTER_MINUTES"])
    attendance = Attendance(
        session_id=session.id,
        user_id=member.id,
        checked_in_at=now,
        status=AttendanceStatus.LATE if now > late_after else AttendanceStatus.ON_TIME,
        method=method if method in ("code", "qr") else "code",
    )
    if not insert_in_savepoint(attendance):  # the same member, twice at once: the first one counted
        raise CourseError(_("您已签到，无需重复签到。"))
    audit.record(
        member,
        "course.checkin",
        session.course,
        f"{member} 课堂「{session.title}」签到（{attendance.status_label}）",
    )
    credit_attendance(member, session, actor=member)
    return attendance


REASON_MAX = 200


def get_member(user_id: int) -> User:
    member = db.session.get(User, user_id)
    if member is None:
        raise NotFound(_("该学员不存在。"))
    return member


def check_manual_checkin(session: ClassSession, member: User) -> None:
    """Why ``member`` cannot be marked present (补签), as a :class:`CourseError` with its status:
    not enrolled (422), the class not started yet (422), already present (409)."""
    if enrollment_for(member, session.course_id) is None:
        raise CourseError(_("%(member)s 未加入本课程，不能补签。", member=member), 422)
    attendance = attendance_for(session, member.id)
    if attendance is not None:
        raise CourseError(
            _(
                "%(member)s 已经%(status_label)s，无需补签，出勤记录未作更改。",
                member=member,
                status_label=attendance.status_label,
            ),
            409,
        )
    if utcnow() < session.starts_at:
        raise CourseError(_("课堂尚未开始，不能补签。"), 422)


def record_manual_checkin(session: ClassSession, member: User, reason: str, actor: User) -> Attendance:
    """补签: a trainer of the course records that ``member`` attended without checking in (a
    phone left at home, a code that ran out). The reason is mandatory; who, when and why are kept
    on the attendance and in the audit log. Credits the session's hours the way a check-in does,
    once. A member already present is refused (409) and nothing changes."""
    if not session.course.can_edit(actor):
        raise Forbidden(_("只有本课程的讲师可以补签。"))
    if member.id == actor.id or session.course.is_trainer(member):
        raise CourseError(_("不能为自己或本课程的讲师补签：讲师不从本课程获得学时。"), 403)
    check_manual_checkin(session, member)
    reason = (reason or "").strip()
    if not reason:
        raise CourseError(_("请填写补签原因。"))
    if len(reason) > REASON_MAX:
        raise CourseError(_("补签原因不能超过 %(max)s 个字。", max=REASON_MAX))
    attendance = Attendance(
        session_id=session.id,
        user_id=member.id,
        checked_in_at=utcnow(),
        status=AttendanceStatus.MANUAL,
        method="manual",
        recorded_by_id=actor.id,
        reason=reason,
    )
    # False when the member checked in (or another trainer marked them) meanwhile
    if not insert_in_savepoint(attendance):
        raise CourseError(_("%(member)s 已经签到，无需补签，出勤记录未作更改。", member=member), 409)
    audit.record(
        actor,
        "course.checkin.manual",
        session.course,
        f"为 {member} 补签课堂「{session.title}」：{reason}",
        {"session": session.id, "user": member.id, "reason": reason},
    )
    credit_attendance(member, session, actor=actor)
    return attendance


def credit_attendance(member: User, session: ClassSession, actor: User | None) -> None:
    """The one call into records for class attendance (offline hours, once per member and session)."""
    if session.credit_minutes <= 0:
        return
    credit_offline_hours(
        member,
        source_kind="class_attendance",
        source_ref=f"class_session:{session.id}",
        minutes=session.credit_minutes,
        actor=actor,
        reason=f"翻转课堂《{session.course.title}》课堂「{session.title}」出勤",
        occurred_on=session.starts_at.astimezone(LOCAL_TZ).date(),
    )


@dataclass
class RosterRow:
    user: User
    attendance: Attendance | None
    absent: bool
    submission: HomeworkSubmission | None
    #: Whether a trainer may mark the member present now (补签): no attendance, class started.
    can_mark_present: bool = False

    @property
    def label(self) -> str:
        if self.attendance is not None:
            return self.attendance.status_label
        return _("缺席") if self.absent else _("未签到")


def roster(session: ClassSession) -> list[RosterRow]:
    """Every enrolled member with their attendance (absent is derived) and homework: three queries."""
    members = db.session.scalars(
        sa.select(User)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(Enrollment.course_id == session.course_id)
        .order_by(User.employee_no)
    ).all()
    attendance = {
        a.user_id: a
        for a in db.session.scalars(
            sa.select(Attendance)
            .where(Attendance.session_id == session.id)
            .options(joinedload(Attendance.recorded_by))
        )
    }
    submissions = {
        s.user_id: s
        for s in db.session.scalars(
            sa.select(HomeworkSubmission).where(HomeworkSubmission.session_id == session.id)
        )
    }
    now = utcnow()
    over, started = now > session.ends_at, now >= session.starts_at
    return [
        RosterRow(
            m,
            attendance.get(m.id),
            over and m.id not in attendance,
            submissions.get(m.id),
            started and m.id not in attendance,
        )
        for m in members
    ]


# --- homework -------------------------------------------------------------------------------------


def submission_for(session: ClassSession, user_id: int) -> HomeworkSubmission | None:
    return db.session.scalars(
        sa.select(HomeworkSubmission).where(
            HomeworkSubmission.session_id == session.id, HomeworkSubmission.user_id == user_id
        )
    ).first()


def homework_extensions() -> tuple[str, ...]:
    raw = current_app.config["COURSES_HOMEWORK_EXTENSIONS"]
    return tuple(e.strip().lower().lstrip(".") for e in raw.split(",") if e.strip())


def submit_homework(
    session: ClassSession, member: User, text: str, stored: files.StoredFile | None
) -> tuple[HomeworkSubmission, str | None]:
    """Hand in (or replace, until reviewed) the post-class assignment. Returns the submission and
    the path of a replaced file, which the caller removes after committing."""
    if not session.homework_prompt:
        raise CourseError(_("本次课堂没有布置作业。"))
    if enrollment_for(member, session.course_id) is None:
        raise CourseError(_("您尚未加入本课程，不能提交作业。"))
    if session.homework_due_at is not None and utcnow() > session.homework_due_at:
        raise CourseError(_("作业提交已截止。"))
    text = (text or "").strip()
    if len(text) > 20000:
        raise CourseError(_("作业正文不能超过 20000 字。"))
    submission = submission_for(session, member.id)
    if submission is not None and submission.reviewed_at is not None:
        raise CourseError(_("作业已批阅，不能再修改。"))
    if not text and stored is None and (submission is None or not submission.file_path):
        raise CourseError(_("请填写作业内容或上传附件。"))
    replaced = None
    if submission is None:
        submission = HomeworkSubmission(session_id=session.id, user_id=member.id)
        db.session.add(submission)
    submission.text = text
    if stored is not None:
        replaced = submission.file_path
        submission.file_path, submission.file_name, submission.file_size = (
            stored.relative,
            stored.name,
            stored.size,
        )
    submission.submitted_at = utcnow()
    db.session.flush()
    audit.record(
        member, "course.homework.submit", session.course, f"{member} 提交课堂「{session.title}」作业"
    )
    return submission, replaced


def review_homework(
    submission: HomeworkSubmission, score: int, comment: str, actor: User
) -> HomeworkSubmission:
    if score is None or not 0 <= score <= 100:
        raise CourseError(_("分数须在 0 到 100 之间。"))
    submission.score = score
    submission.comment = (comment or "").strip()[:2000]
    submission.reviewed_by_id = actor.id
    submission.reviewed_at = utcnow()
    db.session.flush()
    session = db.session.get(ClassSession, submission.session_id)
    audit.record(
        actor,
        "course.homework.review",
        session.course,
        f"批阅 {submission.user} 的作业：{score} 分",
        {"submission": submission.id},
    )
    from app.core.signals import notification_requested

    notification_requested.send(
        "courses",
        user_ids=[submission.user_id],
        title="作业已批阅",
        body=f"课堂「{session.title}」的作业得分 {score}。{submission.comment}",
        url=site_path("courses.class_session", session_id=session.id),
        kind="course.homework_reviewed",
    )
    return submission
