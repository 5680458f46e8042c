"""Heartbeats judged against the server's clock, and a lesson's completion (the contract with the
producers of lessons: :class:`LessonFacts` in, the ``lesson_completed`` signal out)."""

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import User
from app.core.clock import utcnow
from app.core.signals import lesson_completed
from app.core.transactions import insert_in_savepoint
from app.extensions import db
from app.records import presence
from app.records.models import (
    HoursEntry,
    LessonProgress,
    PlaybackSession,
    PresenceChallenge,
    QuizPass,
)
from app.records.services.announce import announce_progress
from app.records.services.base import EVENTS, TEXT_KINDS, AccountingPolicy, RecordsError
from app.records.services.ledger import append_entry, locked_heads
from app.records.services.targets import credited_for_course
from app.records.services.xapi import record_statement

logger = logging.getLogger(__name__)


# --- the contract with courses ------------------------------------------------------------------


@dataclass(frozen=True)
class LessonFacts:
    """What records needs to know of a lesson, complete and immutable: the producer (the courses
    domain) builds it; records decides with it alone and never calls the producer back."""

    lesson_id: int
    course_id: int
    kind: str  # video | audio | article | document
    duration: float  # seconds: the media's length, or the estimated reading time
    completion_threshold: float  # 0–1
    #: This lesson's share of the course's 学时 (the producer computes it once per course version).
    credit_share: Decimal
    #: The course's 学时: no member's lessons of the course are credited more than this in all.
    course_credit_hours: Decimal
    gating_quiz_id: int | None = None
    title: str = ""


@dataclass(frozen=True)
class LessonProgressView:
    covered_ratio: float
    completed: bool
    last_position: float
    updated_at: datetime | None


@dataclass(frozen=True)
class Heartbeat:
    session_id: str
    seq: int
    position: float
    rate: float
    visible: bool
    event: str


@dataclass(frozen=True)
class OpenCheck:
    """A presence challenge waiting for the member: its id and deadline, never its digits."""

    public_id: str
    expires_at: datetime


@dataclass(frozen=True)
class ProgressState:
    covered_seconds: float
    covered_ratio: float
    completed: bool
    credited_hours: float
    active: bool
    last_position: float
    presence_check: OpenCheck | None = None
    #: The session missed too many presence checks in a row and credits nothing more.
    presence_stopped: bool = False

    def as_json(self) -> dict:
        data = {
            "covered_seconds": round(self.covered_seconds, 3),
            "covered_ratio": round(self.covered_ratio, 4),
            "completed": self.completed,
            "credited_hours": self.credited_hours,
            "active": self.active,
            "last_position": round(self.last_position, 3),
        }
        if self.presence_stopped:
            data["presence_stopped"] = True
        return data


def progress_map(user_id: int, lesson_ids: list[int]) -> dict[int, LessonProgressView]:
    """The member's progress on each of ``lesson_ids`` that they have started (one query)."""
    if not lesson_ids:
        return {}
    rows = db.session.scalars(
        sa.select(LessonProgress).where(
            LessonProgress.user_id == user_id, LessonProgress.lesson_id.in_(lesson_ids)
        )
    )
    return {
        row.lesson_id: LessonProgressView(
            covered_ratio=row.covered_ratio,
            completed=row.completed_at is not None,
            last_position=row.last_position,
            updated_at=row.updated_at,
        )
        for row in rows
    }


# --- intervals ----------------------------------------------------------------------------------


def merge_interval(intervals: list[list[float]], start: float, end: float) -> list[list[float]]:
    """Add ``[start, end]`` to sorted, disjoint intervals, merging what touches or overlaps."""
    if end <= start:
        return intervals
    merged: list[list[float]] = []
    placed = False
    for a, b in intervals:
        if b < start:
            merged.append([a, b])
        elif a > end:
            if not placed:
                merged.append([start, end])
                placed = True
            merged.append([a, b])
        else:
            start, end = min(a, start), max(b, end)
    if not placed:
        merged.append([start, end])
    return merged


def covered(intervals: list[list[float]]) -> float:
    return sum(b - a for a, b in intervals)


# --- heartbeats ---------------------------------------------------------------------------------


def parse_heartbeat(payload) -> Heartbeat:
    """Validate a heartbeat's JSON; :class:`RecordsError` names the first bad field."""
    if not isinstance(payload, dict):
        raise RecordsError(_("请求体必须是 JSON 对象"), 400)

    def need(name, types, message):
        value = payload.get(name)
        if value is None:
            raise RecordsError(_("缺少字段 %(name)s", name=name), 422, name)
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise RecordsError(message, 422, name)
        return value

    def number(name, message):
        try:  # JSON integers have no size limit; 10**400 is no float
            return float(need(name, (int, float), message))
        except OverflowError as exc:
            raise RecordsError(message, 422, name) from exc

    session_id = need("session_id", (str,), _("session_id 必须是字符串"))
    if not 8 <= len(session_id) <= 64 or not re.fullmatch(r"[A-Za-z0-9_-]+", session_id):
        raise RecordsError(_("session_id 须为 8–64 位字母、数字、- 或 _"), 422, "session_id")
    seq = need("seq", (int,), _("seq 必须是整数"))
    if not 0 <= seq < 2**31:
        raise RecordsError(_("seq 超出范围"), 422, "seq")
    position = number("position", _("position 必须是数字（秒）"))
    if position != position or position in (float("inf"), float("-inf")) or position < 0:
        raise RecordsError(_("position 必须是不小于 0 的有限数字"), 422, "position")
    rate = number("rate", _("rate 必须是数字"))
    if rate != rate or not 0 < rate <= 16:
        raise RecordsError(_("rate 必须大于 0 且不超过 16"), 422, "rate")
    visible = need("visible", (bool,), _("visible 必须是 true 或 false"))
    event = need("event", (str,), _("event 必须是字符串"))
    if event not in EVENTS:
        raise RecordsError(_("event 必须是 %(value)s 之一", value=" / ".join(EVENTS)), 422, "event")
    return Heartbeat(session_id, seq, position, rate, visible, event)


def _locked(query):
    return db.session.scalars(query.with_for_update()).first()


def _locked_session_and_progress(
    user_id: int, lesson_id: int, key: str
) -> tuple[PlaybackSession, LessonProgress] | None:
    """The session and the member's progress on the lesson, both locked, when both exist."""
    row = db.session.execute(
        sa.select(PlaybackSession, LessonProgress)
        .join(
            LessonProgress,
            sa.and_(
                LessonProgress.user_id == PlaybackSession.user_id,
                LessonProgress.lesson_id == PlaybackSession.lesson_id,
            ),
        )
        .where(
            PlaybackSession.session_key == key,
            PlaybackSession.user_id == user_id,
            PlaybackSession.lesson_id == lesson_id,
        )
        .with_for_update()
    ).first()
    return None if row is None else (row[0], row[1])


def _session_for(user_id: int, facts: LessonFacts, key: str, now: datetime) -> PlaybackSession:
    query = sa.select(PlaybackSession).where(PlaybackSession.session_key == key)
    session = _locked(query)
    if session is None:
        # One member's new sessions start one at a time: two started at once (two tabs, two lessons)
        # would otherwise each supersede the others but not one another, and both earn credit.
        User.hold(user_id)
        session = _locked(query)
    if session is None:
        fresh = PlaybackSession(session_key=key, user_id=user_id, lesson_id=facts.lesson_id, started_at=now)
        if insert_in_savepoint(fresh):
            # Last wins: every other live session of this member stops counting.
            db.session.execute(
                sa.update(PlaybackSession)
                .where(
                    PlaybackSession.user_id == user_id,
                    PlaybackSession.id != fresh.id,
                    PlaybackSession.superseded_at.is_(None),
                )
                .values(superseded_at=now)
            )
        session = _locked(query)
    if session.user_id != user_id or session.lesson_id != facts.lesson_id:
        raise RecordsError(_("session_id 属于另一次播放，请刷新页面后重试"), 409, "session_id")
    return session


def _progress_for(user_id: int, facts: LessonFacts) -> LessonProgress:
    query = sa.select(LessonProgress).where(
        LessonProgress.user_id == user_id, LessonProgress.lesson_id == facts.lesson_id
    )
    progress = _locked(query)
    if progress is None:
        insert_in_savepoint(
            LessonProgress(
                user_id=user_id, lesson_id=facts.lesson_id, course_id=facts.course_id, intervals=[]
            )
        )
        progress = _locked(query)
    return progress


def _state(
    progress: LessonProgress | None,
    active: bool,
    challenge: PresenceChallenge | None = None,
    stopped: bool = False,
) -> ProgressState:
    check = None if challenge is None or not active else OpenCheck(challenge.public_id, challenge.expires_at)
    credited = 0.0
    if progress is not None and progress.completed_at is not None:
        credited = float(
            db.session.scalar(
                sa.select(sa.func.coalesce(sa.func.sum(HoursEntry.hours), 0)).where(
                    HoursEntry.user_id == progress.user_id,
                    sa.or_(
                        sa.and_(
                            HoursEntry.source_kind == "lesson",
                            HoursEntry.source_ref == f"lesson:{progress.lesson_id}",
                        ),
                        HoursEntry.reverses_id.in_(
                            sa.select(HoursEntry.id).where(
                                HoursEntry.user_id == progress.user_id,
                                HoursEntry.source_ref == f"lesson:{progress.lesson_id}",
                            )
                        ),
                    ),
                )
            )
        )
    return ProgressState(
        covered_seconds=progress.covered_seconds if progress else 0.0,
        covered_ratio=progress.covered_ratio if progress else 0.0,
        completed=bool(progress and progress.completed_at),
        credited_hours=credited,
        active=active,
        last_position=progress.last_position if progress else 0.0,
        presence_check=check,
        presence_stopped=stopped,
    )


def record_heartbeat(
    user: User, facts: LessonFacts, hb: Heartbeat, policy: AccountingPolicy
) -> ProgressState:
    """Judge one heartbeat and return the member's progress on the lesson. The caller commits.

    Credit is a budget of the server's wall clock: each visible, playing stretch between two
    heartbeats earns (its wall time, at most one interval) × the allowed rate, and the media time a
    session credits never exceeds what it has earned plus one tolerance (no more than it earned
    on a fresh session) — however many heartbeats arrive, and however fast.
    """
    if facts.duration > 0 and hb.position > facts.duration + policy.tolerance:
        raise RecordsError(
            _("position 超出课时长度（%(duration).0f 秒）", duration=facts.duration), 422, "position"
        )
    now = utcnow()
    locked = _locked_session_and_progress(user.id, facts.lesson_id, hb.session_id)
    if locked is not None:  # the steady state: both rows exist, locked in one round trip
        session, progress = locked
    else:
        session = _session_for(user.id, facts, hb.session_id, now)
        progress = None if session.superseded_at is not None else _progress_for(user.id, facts)
    if session.superseded_at is not None:
        if progress is None:
            progress = db.session.scalars(
                sa.select(LessonProgress).where(
                    LessonProgress.user_id == user.id, LessonProgress.lesson_id == facts.lesson_id
                )
            ).first()
        return _state(progress, active=False)
    presence_policy = policy.presence
    if hb.seq <= session.last_seq:  # a replay or an old heartbeat: the current state, nothing else
        challenge = presence.open_challenge(session) if presence_policy.enabled else None
        return _state(progress, True, challenge, session.presence_misses >= presence_policy.max_misses)

    position = min(hb.position, facts.duration) if facts.duration > 0 else hb.position
    blocked, challenge = presence.gate(session, presence_policy, now)
    covered_before = progress.covered_seconds
    if (
        session.last_seen_at is not None
        and session.was_playing
        and session.was_visible
        and hb.event != "seek"
        and not blocked
    ):
        _credit_stretch(session, progress, facts, hb, policy, now, position)

    session.last_seq = hb.seq
    session.last_seen_at = now
    session.last_position = position
    if hb.event in ("play", "tick"):
        session.was_playing = True
    elif hb.event in ("pause", "ended", "hidden"):
        session.was_playing = False
    session.was_visible = hb.visible and hb.event != "hidden"
    progress.duration = facts.duration
    progress.kind, progress.title = facts.kind, facts.title[:200]
    progress.completion_threshold = facts.completion_threshold
    progress.last_position = 0.0 if hb.event == "ended" and facts.kind not in TEXT_KINDS else position
    progress.gating_quiz_id = facts.gating_quiz_id
    if hb.event == "ended":
        progress.reached_end = True
    if progress.completed_at is None and progress.covered_ratio + 1e-9 >= progress.completion_threshold:
        progress.credit_hours = _capped_share(user.id, facts)  # kept for a gating quiz passed later
    _maybe_complete(user, progress, now)
    db.session.flush()
    announce_progress(user.id, facts.kind, facts.title, session, progress, covered_before)
    return _state(progress, True, challenge, session.presence_misses >= presence_policy.max_misses)


def _capped_share(user_id: int, facts: LessonFacts) -> Decimal:
    """What completing the lesson credits the member: its share of the course's 学时, but never
    more than the course's 学时 less what the member already holds from the course — so however
    the 学时 or the shares change after some members finished lessons, no member's lessons add up
    to more than the course states. Asked once the lesson's coverage reaches its threshold, inside
    the transaction that credits it: the member's ledger head is locked first, so two lessons of one
    course completing at once are counted one after the other."""
    locked_heads([user_id])
    held = credited_for_course(user_id, facts.course_id)
    return max(Decimal("0"), min(facts.credit_share, facts.course_credit_hours - held))


def _credit_stretch(
    session: PlaybackSession,
    progress: LessonProgress,
    facts: LessonFacts,
    hb: Heartbeat,
    policy: AccountingPolicy,
    now: datetime,
    position: float,
) -> None:
    """Credit the media played since the session's last heartbeat, within the session's budget."""
    wall = max(0.0, (now - session.last_seen_at).total_seconds())
    window = min(wall, policy.interval + policy.tolerance)  # a silence counts for one interval at most
    # Reading is measured in seconds on the page: it cannot go faster than the clock.
    rate = 1.0 if facts.kind in TEXT_KINDS else min(max(hb.rate, 0.0), policy.max_rate)
    earned = window * rate
    session.budget_seconds += earned
    advance = position - session.last_position
    if advance <= 0:
        return
    budget_left = (
        session.budget_seconds + min(policy.tolerance, session.budget_seconds) - session.credited_seconds
    )
    credit = min(advance, earned + policy.tolerance, budget_left)
    if credit <= 0:
        return
    start = session.last_position
    progress.intervals = merge_interval(list(progress.intervals or []), start, start + credit)
    progress.covered_seconds = covered(progress.intervals)
    session.credited_seconds += credit


def _maybe_complete(user: User, progress: LessonProgress, now: datetime) -> bool:
    """Complete the lesson if coverage, the end of a text and a gating quiz allow; credit it once."""
    if progress.completed_at is not None:
        return False
    if progress.covered_ratio + 1e-9 < progress.completion_threshold:
        return False
    if progress.kind in TEXT_KINDS and not progress.reached_end:
        return False
    if progress.gating_quiz_id is not None:
        passed = db.session.scalar(
            sa.select(QuizPass.passed_at).where(
                QuizPass.user_id == user.id, QuizPass.quiz_id == progress.gating_quiz_id
            )
        )
        if passed is None:
            return False
        progress.quiz_passed_at = passed
    progress.completed_at = now
    append_entry(
        user,
        hours=progress.credit_hours,
        source_kind="lesson",
        source_ref=f"lesson:{progress.lesson_id}",
        course_id=progress.course_id,
        title=progress.title,
        reason="完成课时",
        actor=None,
        occurred_at=now,
    )
    record_statement(
        user.id, "completed", "lesson", str(progress.lesson_id), progress.title, {"completion": True}
    )
    logger.info("%s completed lesson %s", user, progress.lesson_id)
    lesson_completed.send(
        "records", user_id=user.id, lesson_id=progress.lesson_id, course_id=progress.course_id
    )
    return True


def note_quiz_passed(user_id: int, quiz_id: int, attempt_id: int | None = None, score=None) -> list[int]:
    """Remember a passed quiz and complete the lessons it was holding back; returns their ids."""
    if not insert_in_savepoint(
        QuizPass(user_id=user_id, quiz_id=quiz_id, attempt_id=attempt_id, passed_at=utcnow())
    ):
        return []  # already noted: a repeated signal changes nothing
    record_statement(user_id, "passed", "quiz", str(quiz_id), "", {"success": True, "score": score})
    held = db.session.scalars(
        sa.select(LessonProgress)
        .where(
            LessonProgress.user_id == user_id,
            LessonProgress.gating_quiz_id == quiz_id,
            LessonProgress.completed_at.is_(None),
        )
        .with_for_update()
    ).all()
    user = db.session.get(User, user_id)
    now = utcnow()
    completed = [p.lesson_id for p in held if _maybe_complete(user, p, now)]
    db.session.flush()
    return completed
