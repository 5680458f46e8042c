"""Exam integrity: what the exam page reports while a paper is open, and the automatic hand-in.

The page reports leaving it (focus lost, page hidden), copying and pasting, and leaving full
screen, each with the client's timestamp. The server stamps each report with its own time (the one
shown to trainers and trusted) and counts switches away itself: a focus loss and a hidden page that
arrive within :data:`SWITCH_MERGE_SECONDS` of the last counted switch are one switch, so one trip to
another app counts once however many events the browser fires. When an exam sets a limit, the report
that reaches it hands the paper in on the server, graded on the answers saved so far.

Reports are accepted only for the member's own open exam paper (the API loads it as theirs), and
bounded: at most :data:`MAX_STORED_EVENTS` rows per attempt are kept; past that, switches are still
counted (so flooding the log with copies cannot hide a switch) and other reports are refused (429).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.errors import DomainError
from app.extensions import db
from app.quiz import play
from app.quiz.models import Attempt, ExamEvent, Quiz, QuizPurpose
from app.quiz.play import LateAnswer
from app.quiz.quizzes import submit_quiz_attempt

SWITCH_KINDS = ("blur", "hidden")
EVENT_LABELS = {
    "blur": _l("窗口失去焦点"),
    "hidden": _l("页面被切走（隐藏）"),
    "copy": _l("复制"),
    "paste": _l("粘贴"),
    "fullscreen_exit": _l("退出全屏"),
}
SWITCH_MERGE_SECONDS = 3
MAX_STORED_EVENTS = 300
#: Client timestamps are milliseconds since 1970; anything outside these years is not a clock.
_EARLIEST_MS = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp() * 1000)
_LATEST_MS = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp() * 1000)


class ExamReportError(DomainError):
    """A report the server cannot take (Chinese message)."""


@dataclass(frozen=True)
class ReportOutcome:
    switch_count: int
    switch_limit: int
    counted: bool
    stored: bool
    submitted: bool


def monitored(quiz: Quiz) -> bool:
    """Exams are watched; lesson quizzes and practice are not."""
    return quiz.purpose == QuizPurpose.EXAM


def parse_client_time(raw) -> datetime | None:
    """The page's ``Date.now()``; ``None`` when it sent none. Refused when it is not a clock."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not _EARLIEST_MS <= raw <= _LATEST_MS:
        raise ExamReportError(_("客户端时间应为毫秒时间戳"), 422, "client_time")
    return datetime.fromtimestamp(raw / 1000, tz=UTC)


def _count_switch(attempt: Attempt, at: datetime) -> bool:
    """One guarded UPDATE: concurrent or replayed reports of one trip away count once."""
    merged_before = at - timedelta(seconds=SWITCH_MERGE_SECONDS)
    done = db.session.execute(
        sa.update(Attempt)
        .where(
            Attempt.id == attempt.id,
            Attempt.finished_at.is_(None),
            sa.or_(Attempt.last_switch_at.is_(None), Attempt.last_switch_at <= merged_before),
        )
        .values(switch_count=Attempt.switch_count + 1, last_switch_at=at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:  # a switch already counted just now: extend the trip, count nothing
        db.session.execute(
            sa.update(Attempt)
            .where(Attempt.id == attempt.id, Attempt.finished_at.is_(None))
            .values(last_switch_at=at)
            .execution_options(synchronize_session=False)
        )
    db.session.refresh(attempt)
    return bool(done)


def report_event(attempt: Attempt, kind: str, client_at: datetime | None) -> ReportOutcome:
    """Record one report on ``attempt`` (already loaded as the member's own exam paper)."""
    at = play.now()
    if kind not in EVENT_LABELS:
        raise ExamReportError(_("未知的事件类型"), 422, "kind")
    quiz = db.session.get(Quiz, attempt.quiz_id)
    if quiz is None or not monitored(quiz):
        raise ExamReportError(_("该测验不记录考试行为。"), 404)
    if attempt.finished_at is not None or attempt.is_overdue(at, play.grace().total_seconds()):
        raise LateAnswer(_("试卷已经提交。"))
    counted = kind in SWITCH_KINDS and _count_switch(attempt, at)
    stored_count = db.session.scalar(
        sa.select(sa.func.count(ExamEvent.id)).where(ExamEvent.attempt_id == attempt.id)
    )
    stored = stored_count < MAX_STORED_EVENTS
    if stored:
        db.session.add(
            ExamEvent(attempt_id=attempt.id, kind=kind, client_at=client_at, received_at=at, counted=counted)
        )
        db.session.flush()
    elif not counted:
        raise ExamReportError(_("本次考试记录的事件过多，已不再记录。"), 429)
    submitted = False
    if counted and quiz.switch_limit and attempt.switch_count >= quiz.switch_limit:
        submit_quiz_attempt(attempt, None, reason="switches")
        submitted = attempt.end_reason == "switches"
    return ReportOutcome(attempt.switch_count, quiz.switch_limit, counted, stored, submitted)


def attempt_events(attempt: Attempt) -> list[ExamEvent]:
    return list(
        db.session.scalars(
            sa.select(ExamEvent)
            .where(ExamEvent.attempt_id == attempt.id)
            .order_by(ExamEvent.received_at, ExamEvent.id)
        )
    )


def event_label(kind: str) -> str:
    return str(EVENT_LABELS.get(kind, kind))
