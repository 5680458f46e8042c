"""Learning-hours accounting. The server, not the client, decides what counts.

Heartbeats from the player are judged against the previous heartbeat of the same playback session
with the server's clock: media time counts only while the page was visible and playing, only as
fast as wall time × the allowed rate (plus a small tolerance), and a silence counts for at most one
heartbeat interval. What counts is merged into the member's played intervals of the lesson; when
coverage reaches the lesson's threshold (and its gating quiz is passed) the lesson's hours are
appended to the member's hash-chained ledger, exactly once.
"""

import hashlib
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.accounts.models import BranchPosition, User
from app.core import audit
from app.core.clock import LOCAL_TZ, utcnow
from app.core.signals import lesson_completed
from app.core.transactions import insert_or_skip
from app.extensions import db
from app.records import presence, sources
from app.records.models import (
    HoursEntry,
    HoursTotal,
    LedgerHead,
    LessonProgress,
    PlaybackSession,
    PresenceChallenge,
    QuizPass,
    XapiStatement,
)

logger = logging.getLogger(__name__)

EVENTS = ("play", "tick", "pause", "seek", "ended", "hidden")
TEXT_KINDS = ("article", "document")
GENESIS_HASH = "0" * 64
CADRE_POSITIONS = (BranchPosition.SECRETARY, BranchPosition.DEPUTY_SECRETARY, BranchPosition.COMMITTEE)


class RecordsError(ValueError):
    """A problem the caller caused, with a message in Chinese; ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 422, field: str | None = None):
        super().__init__(message)
        self.status, self.field = status, field


# --- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountingPolicy:
    interval: float  # seconds between heartbeats while playing
    tolerance: float  # seconds of slack for network and timer jitter
    max_rate: float  # fastest playback that still counts in full
    presence: presence.PresencePolicy  # 防挂机

    @classmethod
    def from_config(cls, config=None) -> "AccountingPolicy":
        config = config if config is not None else current_app.config
        return cls(
            interval=config["HEARTBEAT_INTERVAL_SECONDS"],
            tolerance=config["HEARTBEAT_TOLERANCE_SECONDS"],
            max_rate=config["PLAYBACK_MAX_RATE"],
            presence=presence.PresencePolicy.from_config(config),
        )


@dataclass(frozen=True)
class HoursPolicy:
    minutes_per_hour_unit: int  # 1 学时 = 45 minutes of timed offline activity by default
    target_member: Decimal
    target_cadre: Decimal  # 书记 / 副书记 / 委员

    @classmethod
    def from_config(cls, config=None) -> "HoursPolicy":
        config = config if config is not None else current_app.config
        return cls(
            minutes_per_hour_unit=config["HOURS_MINUTES_PER_UNIT"],
            target_member=Decimal(str(config["HOURS_TARGET_MEMBER"])),
            target_cadre=Decimal(str(config["HOURS_TARGET_CADRE"])),
        )


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
        raise RecordsError("请求体必须是 JSON 对象", 400)

    def need(name, types, message):
        value = payload.get(name)
        if value is None:
            raise RecordsError(f"缺少字段 {name}", 422, name)
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            raise RecordsError(message, 422, name)
        return value

    def number(name, message):
        try:  # JSON integers have no size limit; 10**400 is no float
            return float(need(name, (int, float), message))
        except OverflowError as exc:
            raise RecordsError(message, 422, name) from exc

    session_id = need("session_id", (str,), "session_id 必须是字符串")
    if not 8 <= len(session_id) <= 64 or not re.fullmatch(r"[A-Za-z0-9_-]+", session_id):
        raise RecordsError("session_id 须为 8–64 位字母、数字、- 或 _", 422, "session_id")
    seq = need("seq", (int,), "seq 必须是整数")
    if not 0 <= seq < 2**31:
        raise RecordsError("seq 超出范围", 422, "seq")
    position = number("position", "position 必须是数字（秒）")
    if position != position or position in (float("inf"), float("-inf")) or position < 0:
        raise RecordsError("position 必须是不小于 0 的有限数字", 422, "position")
    rate = number("rate", "rate 必须是数字")
    if rate != rate or not 0 < rate <= 16:
        raise RecordsError("rate 必须大于 0 且不超过 16", 422, "rate")
    visible = need("visible", (bool,), "visible 必须是 true 或 false")
    event = need("event", (str,), "event 必须是字符串")
    if event not in EVENTS:
        raise RecordsError(f"event 必须是 {' / '.join(EVENTS)} 之一", 422, "event")
    return Heartbeat(session_id, seq, position, rate, visible, event)


def _savepoint_insert(obj) -> bool:
    """Insert ``obj`` in a SAVEPOINT; False when a concurrent insert of the same key won."""
    try:
        with db.session.begin_nested():
            db.session.add(obj)
        return True
    except IntegrityError:
        return False


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
        fresh = PlaybackSession(session_key=key, user_id=user_id, lesson_id=facts.lesson_id, started_at=now)
        if _savepoint_insert(fresh):
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
        raise RecordsError("session_id 属于另一次播放，请刷新页面后重试", 409, "session_id")
    return session


def _progress_for(user_id: int, facts: LessonFacts) -> LessonProgress:
    query = sa.select(LessonProgress).where(
        LessonProgress.user_id == user_id, LessonProgress.lesson_id == facts.lesson_id
    )
    progress = _locked(query)
    if progress is None:
        _savepoint_insert(
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
        raise RecordsError(f"position 超出课时长度（{facts.duration:.0f} 秒）", 422, "position")
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
    return _state(progress, True, challenge, session.presence_misses >= presence_policy.max_misses)


def _capped_share(user_id: int, facts: LessonFacts) -> Decimal:
    """What completing the lesson credits the member: its share of the course's 学时, but never
    more than the course's 学时 less what the member already holds from the course — so however
    the 学时 or the shares change after some members finished lessons, no member's lessons add up
    to more than the course states. Asked once the lesson's coverage reaches its threshold, inside
    the transaction that credits it: the member's ledger head is locked first, so two lessons of one
    course completing at once are counted one after the other."""
    _locked_heads([user_id])
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
    if not _savepoint_insert(
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


# --- the ledger ---------------------------------------------------------------------------------


def _entry_digest(prev_hash: str, e: HoursEntry) -> str:
    fields = [
        prev_hash,
        str(e.user_id),
        str(e.chain_index),
        str(e.year),
        f"{Decimal(e.hours):.2f}",
        e.source_kind,
        e.source_ref,
        str(e.course_id or ""),
        e.title or "",
        e.reason or "",
        str(e.recorded_by_id or ""),
        e.occurred_on.astimezone(LOCAL_TZ).isoformat(),
        str(e.reverses_id or ""),
    ]
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


@dataclass(frozen=True)
class EntryDraft:
    """One entry to append to a member's chain (see :func:`append_entries`)."""

    member_id: int
    hours: Decimal
    source_kind: str
    source_ref: str
    reason: str
    occurred_at: datetime
    course_id: int | None = None
    title: str = ""
    reverses_id: int | None = None


def append_entry(
    member: User,
    *,
    hours: Decimal,
    source_kind: str,
    source_ref: str,
    actor: User | None,
    reason: str,
    occurred_at: datetime,
    course_id: int | None = None,
    title: str = "",
    reverses_id: int | None = None,
) -> HoursEntry | None:
    """Append to ``member``'s chain; ``None`` when this source was already credited (exactly once)."""
    draft = EntryDraft(
        member.id, hours, source_kind, source_ref, reason, occurred_at, course_id, title, reverses_id
    )
    return append_entries([draft], actor)[0]


def append_entries(drafts: list[EntryDraft], actor: User | None) -> list[HoursEntry | None]:
    """Append each draft to its member's chain, in a handful of statements however many members
    (a meeting's attendance): the members' ledger heads are locked in id order (so concurrent
    appends queue per member and never deadlock), then entries, heads and yearly totals are written
    in batches. A source is credited once per member: ``None`` stands in the result for a draft
    already credited (or repeated within ``drafts``)."""
    if not drafts:
        return []
    _refuse_self_recorded(drafts, actor)
    member_ids = sorted({d.member_id for d in drafts})
    heads = _locked_heads(member_ids)
    credited = set(
        db.session.execute(
            sa.select(HoursEntry.user_id, HoursEntry.source_kind, HoursEntry.source_ref).where(
                HoursEntry.user_id.in_(member_ids),
                HoursEntry.source_ref.in_({d.source_ref for d in drafts}),
            )
        ).all()
    )
    results: list[HoursEntry | None] = []
    appended: list[HoursEntry] = []
    for d in drafts:
        key = (d.member_id, d.source_kind, d.source_ref)
        if key in credited:
            results.append(None)
            continue
        credited.add(key)
        head = heads[d.member_id]
        entry = HoursEntry(
            user_id=d.member_id,
            year=d.occurred_at.astimezone(LOCAL_TZ).year,
            hours=Decimal(d.hours).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
            source_kind=d.source_kind,
            source_ref=d.source_ref,
            course_id=d.course_id,
            title=d.title[:200],
            reason=d.reason[:500],
            recorded_by_id=actor.id if actor else None,
            occurred_on=d.occurred_at,
            created_at=utcnow(),
            reverses_id=d.reverses_id,
            chain_index=head.length + 1,
            prev_hash=head.last_hash,
            hash="",
        )
        entry.hash = _entry_digest(head.last_hash, entry)
        head.last_hash, head.length = entry.hash, entry.chain_index
        results.append(entry)
        appended.append(entry)
    if appended:
        db.session.add_all(appended)
        db.session.flush()
        for entry in appended:
            heads[entry.user_id].last_entry_id = entry.id
        _add_to_totals(appended)
        db.session.flush()
    return results


#: Sources that exist only because a person said so: nobody may be their own beneficiary. (A member's
#: own check-in to a class is verified by a code the trainer shows, and lessons by the server.)
RECORDED_BY_OTHERS = frozenset({"manual", "meeting", "reversal"})


def _refuse_self_recorded(drafts: list[EntryDraft], actor: User | None) -> None:
    if actor is None:
        return
    if any(d.member_id == actor.id and d.source_kind in RECORDED_BY_OTHERS for d in drafts):
        raise RecordsError("不能为自己记录或冲销学时，请由其他组织员办理", 403, "member")


def _locked_heads(member_ids: list[int]) -> dict[int, LedgerHead]:
    """The members' ledger heads, locked in id order; a member's first append creates theirs."""
    query = (
        sa.select(LedgerHead)
        .where(LedgerHead.user_id.in_(member_ids))
        .order_by(LedgerHead.user_id)
        .with_for_update()
    )
    heads = {h.user_id: h for h in db.session.scalars(query)}
    missing = [i for i in member_ids if i not in heads]
    if missing:
        db.session.execute(
            insert_or_skip(LedgerHead, ["user_id"]),
            [{"user_id": i, "last_entry_id": None, "last_hash": GENESIS_HASH, "length": 0} for i in missing],
        )
        heads = {h.user_id: h for h in db.session.scalars(query)}
    return heads


def _add_to_totals(entries: list[HoursEntry]) -> None:
    """Add the entries to their members' yearly totals; the caller holds those members' heads."""
    sums: dict[tuple[int, int], Decimal] = {}
    for e in entries:
        sums[(e.user_id, e.year)] = sums.get((e.user_id, e.year), Decimal(0)) + e.hours
    table = HoursTotal.__table__
    db.session.execute(
        insert_or_skip(HoursTotal, ["user_id", "year"]),
        [{"user_id": u, "year": y, "hours": Decimal(0)} for u, y in sums],
    )
    db.session.execute(
        sa.update(table)
        .where(table.c.user_id == sa.bindparam("u"), table.c.year == sa.bindparam("y"))
        .values(hours=table.c.hours + sa.bindparam("h")),
        [{"u": u, "y": y, "h": h} for (u, y), h in sums.items()],
    )


def hours_for_minutes(minutes: int, policy: HoursPolicy | None = None) -> Decimal:
    policy = policy or HoursPolicy.from_config()
    return (Decimal(minutes) / Decimal(policy.minutes_per_hour_unit)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def credit_offline_hours(
    member: User,
    *,
    source_kind: str,
    source_ref: str,
    minutes: int,
    actor: User | None,
    reason: str,
    occurred_on: date | None = None,
    title: str = "",
) -> HoursEntry | None:
    """Credit timed offline activity (class attendance, a 三会一课 meeting) at the 学时 conversion rate."""
    if minutes <= 0 or minutes > 24 * 60:
        raise RecordsError("时长须在 1–1440 分钟之间", 422, "minutes")
    when = occurred_at_noon(occurred_on)
    entry = append_entry(
        member,
        hours=hours_for_minutes(minutes),
        source_kind=source_kind,
        source_ref=source_ref,
        actor=actor,
        reason=reason,
        occurred_at=when,
        title=title or reason,
    )
    if entry is not None:
        verb = "attended" if source_kind in ("class_attendance", "meeting") else "experienced"
        record_statement(
            member.id, verb, source_kind, source_ref, title or reason, {"duration": f"PT{minutes}M"}
        )
        if actor is not None:
            audit.record(
                actor, f"hours.{source_kind}", entry, f"为 {member} 记录 {entry.hours} 学时：{reason}"
            )
    return entry


EARLIEST_DAY = date(2000, 1, 1)  # the records pages show years from 2000 on


def check_day(day: date, field: str) -> None:
    """Refuse a day an offline activity cannot have happened on: in the future, or before 2000."""
    if day > utcnow().astimezone(LOCAL_TZ).date():
        raise RecordsError("日期不能晚于今天", 422, field)
    if day < EARLIEST_DAY:
        raise RecordsError(f"日期不能早于 {EARLIEST_DAY.year} 年", 422, field)


def occurred_at_noon(day: date | None) -> datetime:
    """When an offline activity of ``day`` counts: noon that day, local time (now when no day)."""
    if day is None:
        return utcnow()
    return datetime(day.year, day.month, day.day, 12, tzinfo=LOCAL_TZ).astimezone(utcnow().tzinfo)


def reverse_entry(entry: HoursEntry, reason: str, actor: User) -> HoursEntry:
    """Cancel an entry with a reversing entry: the ledger is never edited."""
    reason = (reason or "").strip()
    if not reason:
        raise RecordsError("冲销必须填写原因", 422, "reason")
    if entry.source_kind == "reversal":
        raise RecordsError("冲销记录不能再冲销", 422)
    member = db.session.get(User, entry.user_id)
    reversal = append_entry(
        member,
        hours=-entry.hours,
        source_kind="reversal",
        source_ref=f"entry:{entry.id}",
        actor=actor,
        reason=reason,
        occurred_at=entry.occurred_on,  # cancels the hours in the year they were counted
        course_id=entry.course_id,
        title=f"冲销：{entry.title}",
        reverses_id=entry.id,
    )
    if reversal is None:
        raise RecordsError("该记录已被冲销", 409)
    audit.record(actor, "hours.reverse", reversal, f"冲销 {member} 的学时记录 #{entry.id}：{reason}")
    return reversal


@dataclass(frozen=True)
class ChainProblem:
    user_id: int
    entry_id: int | None
    message: str


def verify_ledger(batch: int = 2000) -> Iterator[ChainProblem]:
    """Walk every member's chain; yield each modified, inserted or deleted entry found, then each
    yearly total that no longer matches its entries."""
    heads = {h.user_id: h for h in db.session.scalars(sa.select(LedgerHead))}
    seen_users: set[int] = set()
    current_user, prev_hash, expected_index, last = None, GENESIS_HASH, 1, None
    query = sa.select(HoursEntry).order_by(HoursEntry.user_id, HoursEntry.chain_index, HoursEntry.id)

    def close_chain(user_id, last_entry):
        head = heads.get(user_id)
        if head is None:
            yield ChainProblem(user_id, None, "账本头缺失：该成员的记录不在任何链上")
        elif last_entry is None or head.last_entry_id != last_entry.id or head.last_hash != last_entry.hash:
            yield ChainProblem(
                user_id, head.last_entry_id, f"链尾不符：末条记录 #{head.last_entry_id} 被删除或改动"
            )

    for entry in db.session.execute(query.execution_options(yield_per=batch)).scalars():
        if entry.user_id != current_user:
            if current_user is not None:
                yield from close_chain(current_user, last)
            current_user, prev_hash, expected_index, last = entry.user_id, GENESIS_HASH, 1, None
            seen_users.add(entry.user_id)
        if entry.chain_index != expected_index:
            if entry.chain_index > expected_index:
                yield ChainProblem(
                    entry.user_id,
                    entry.id,
                    f"记录 #{entry.id} 之前缺少 {entry.chain_index - expected_index} 条记录（被删除）",
                )
            else:
                yield ChainProblem(entry.user_id, entry.id, f"记录 #{entry.id} 的序号重复（被插入）")
        if entry.prev_hash != prev_hash:
            yield ChainProblem(
                entry.user_id,
                entry.id,
                f"记录 #{entry.id} 与前一条记录接不上（前面有记录被删除、插入或改动）",
            )
        if _entry_digest(entry.prev_hash, entry) != entry.hash:
            yield ChainProblem(entry.user_id, entry.id, f"记录 #{entry.id} 的内容被改动（哈希不符）")
        prev_hash, expected_index, last = entry.hash, entry.chain_index + 1, entry
    if current_user is not None:
        yield from close_chain(current_user, last)
    for user_id, head in heads.items():
        if user_id not in seen_users and head.length > 0:
            yield ChainProblem(user_id, head.last_entry_id, f"成员的 {head.length} 条记录全部缺失（被删除）")
    yield from _verify_totals()


def _verify_totals() -> Iterator[ChainProblem]:
    """Each member's yearly total against the sum of their entries of that year."""
    sums = {
        (user_id, year): Decimal(hours)
        for user_id, year, hours in db.session.execute(
            sa.select(HoursEntry.user_id, HoursEntry.year, sa.func.sum(HoursEntry.hours)).group_by(
                HoursEntry.user_id, HoursEntry.year
            )
        )
    }
    totals = {
        (t.user_id, t.year): Decimal(t.hours)
        for t in db.session.execute(sa.select(HoursTotal.user_id, HoursTotal.year, HoursTotal.hours))
    }
    for user_id, year in sorted(sums.keys() | totals.keys()):
        summed, total = sums.get((user_id, year), Decimal(0)), totals.get((user_id, year))
        if total is None or total != summed:
            shown = "缺失" if total is None else f"{total:.2f}"
            yield ChainProblem(
                user_id, None, f"{year} 年学时合计（{shown}）与记录之和（{summed:.2f}）不符：合计被改动"
            )


# --- xAPI ---------------------------------------------------------------------------------------


def record_statement(
    user_id: int, verb: str, object_type: str, object_id: str, name: str, result: dict | None
):
    db.session.add(
        XapiStatement(
            statement_id=str(uuid.uuid4()),
            user_id=user_id,
            verb=verb,
            object_type=object_type,
            object_id=object_id,
            object_name=(name or "")[:200],
            result=result,
            timestamp=utcnow(),
        )
    )


# --- targets and training records ---------------------------------------------------------------


def target_for(member: User, policy: HoursPolicy | None = None) -> Decimal:
    policy = policy or HoursPolicy.from_config()
    return policy.target_cadre if member.position in CADRE_POSITIONS else policy.target_member


def target_expression(policy: HoursPolicy | None = None):
    """The yearly target as a SQL expression over ``User`` (for reports over many members)."""
    policy = policy or HoursPolicy.from_config()
    return sa.case((User.position.in_(CADRE_POSITIONS), policy.target_cadre), else_=policy.target_member)


def hours_by_year(user_id: int) -> list[tuple[int, Decimal]]:
    rows = db.session.execute(
        sa.select(HoursTotal.year, HoursTotal.hours)
        .where(HoursTotal.user_id == user_id)
        .order_by(HoursTotal.year.desc())
    ).all()
    return [(year, Decimal(total)) for year, total in rows]


def hours_by_source(user_id: int, year: int) -> dict[str, Decimal]:
    rows = db.session.execute(
        sa.select(HoursEntry.source_kind, sa.func.sum(HoursEntry.hours))
        .where(HoursEntry.user_id == user_id, HoursEntry.year == year)
        .group_by(HoursEntry.source_kind)
    ).all()
    return {kind: Decimal(total) for kind, total in rows}


def credited_for_course(user_id: int, course_id: int) -> Decimal:
    """学时 the ledger holds for ``user_id`` from ``course_id``, net of reversals."""
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(HoursEntry.hours), 0)).where(
            HoursEntry.user_id == user_id, HoursEntry.course_id == course_id
        )
    )
    return Decimal(str(total or 0)).quantize(Decimal("0.01"))  # SQLite sums NUMERIC as a float


def entries_for(user_id: int, year: int | None = None):
    query = sa.select(HoursEntry).where(HoursEntry.user_id == user_id)
    if year is not None:
        query = query.where(HoursEntry.year == year)
    return query.order_by(HoursEntry.occurred_on.desc(), HoursEntry.id.desc())


@dataclass(frozen=True)
class CompletedCourse:
    course_id: int
    title: str
    completed_at: datetime
    hours: Decimal  # the lesson hours credited for this course (net of reversals)


def completed_courses(user_id: int) -> list[CompletedCourse]:
    """Courses the member completed (their producer says which, see :mod:`app.records.sources`)
    with the hours the ledger credited for them — two queries."""
    done = sources.course_completions(user_id)
    if not done:
        return []
    credited = dict(
        db.session.execute(
            sa.select(HoursEntry.course_id, sa.func.sum(HoursEntry.hours))
            .where(HoursEntry.user_id == user_id, HoursEntry.course_id.in_({c.course_id for c in done}))
            .group_by(HoursEntry.course_id)
        ).all()
    )
    return [
        CompletedCourse(c.course_id, c.title, c.completed_at, Decimal(credited.get(c.course_id) or 0))
        for c in done
    ]
