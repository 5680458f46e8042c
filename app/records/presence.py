"""The presence check (防挂机): a person, not a script, must be watching for time to count.

After a random stretch of credited media time (the member's, carried from one playback session to the
next, so a fresh session resets nothing) the server opens a challenge in its answer to a heartbeat:
four digits drawn, with noise, in a PNG image that only the member may fetch. No payload carries the
digits as text, so a script that echoes what it receives cannot answer. While a challenge is open,
nothing is credited; an answer that is wrong, or none before it expires, is a miss and a new
challenge with new digits follows; after a number of misses in a row the session credits nothing
more, and the member's next session is asked at once. Every challenge is kept with its outcome for
coordinators (``summary_for``).
"""

import random
import secrets
import struct
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.clock import utcnow
from app.core.errors import DomainError
from app.extensions import db
from app.records.models import LessonProgress, PlaybackSession, PresenceChallenge

CODE_LENGTH = 4


@dataclass(frozen=True)
class PresencePolicy:
    enabled: bool
    min_minutes: int
    max_minutes: int
    expire_seconds: int
    max_misses: int

    @classmethod
    def from_config(cls, config) -> "PresencePolicy":
        return cls(
            enabled=config["PRESENCE_CHECK_ENABLED"],
            min_minutes=config["PRESENCE_CHECK_MIN_MINUTES"],
            max_minutes=max(config["PRESENCE_CHECK_MIN_MINUTES"], config["PRESENCE_CHECK_MAX_MINUTES"]),
            expire_seconds=config["PRESENCE_CHECK_EXPIRE_SECONDS"],
            max_misses=config["PRESENCE_CHECK_MAX_MISSES"],
        )


def _interval(policy: PresencePolicy) -> float:
    """Seconds of credited media time until the next question: a random draw in the window."""
    minutes = policy.min_minutes + secrets.randbelow(policy.max_minutes - policy.min_minutes + 1)
    return 60.0 * minutes


def open_challenge(session: PlaybackSession) -> PresenceChallenge | None:
    if session.presence_open_id is None:
        return None
    return db.session.get(PresenceChallenge, session.presence_open_id)


def _issue(session: PlaybackSession, policy: PresencePolicy, now: datetime) -> PresenceChallenge:
    challenge = PresenceChallenge(
        public_id=secrets.token_urlsafe(18)[:24],
        session_id=session.id,
        user_id=session.user_id,
        lesson_id=session.lesson_id,
        code="".join(str(secrets.randbelow(10)) for _ in range(CODE_LENGTH)),
        issued_at=now,
        expires_at=now + timedelta(seconds=policy.expire_seconds),
    )
    db.session.add(challenge)
    db.session.flush()
    session.presence_open_id = challenge.id
    return challenge


def _close(session: PlaybackSession, challenge: PresenceChallenge, outcome: str) -> None:
    challenge.outcome = outcome
    if session.presence_open_id == challenge.id:
        session.presence_open_id = None


def _take_over(session: PlaybackSession, policy: PresencePolicy) -> None:
    """A session's first heartbeat: carry on the member's schedule from their previous session.

    A question still open (or missed) there is asked again at once; otherwise the new session owes
    what the old one had left before its next question. Starting a fresh session resets nothing.
    """
    previous = db.session.scalars(
        sa.select(PlaybackSession)
        .where(PlaybackSession.user_id == session.user_id, PlaybackSession.id != session.id)
        .order_by(PlaybackSession.id.desc())
        .limit(1)
    ).first()
    if previous is None or previous.presence_due_seconds is None:
        session.presence_due_seconds = _interval(policy)
        return
    left_open = open_challenge(previous)
    if left_open is not None:
        _close(previous, left_open, "expired")  # abandoned by reloading: a miss, asked again here
        session.presence_due_seconds = 0.0
    elif previous.presence_misses > 0:
        session.presence_due_seconds = 0.0
    else:
        session.presence_due_seconds = max(0.0, previous.presence_due_seconds - previous.credited_seconds)


def gate(
    session: PlaybackSession, policy: PresencePolicy, now: datetime
) -> tuple[bool, PresenceChallenge | None]:
    """Judge the presence check for a heartbeat: (blocked, the open challenge to show).

    ``blocked`` means the stretch up to this heartbeat credits nothing. The heartbeat on which a
    challenge falls due still counts (the member was there until then); the ones after it do not.
    """
    if not policy.enabled:
        return False, None
    if session.presence_misses >= policy.max_misses:
        return True, None  # this session has stopped counting; a new page asks again at once
    if session.presence_due_seconds is None:
        _take_over(session, policy)
    challenge = open_challenge(session)
    if challenge is not None:
        if now >= challenge.expires_at:
            _close(session, challenge, "expired")
            session.presence_misses += 1
            if session.presence_misses >= policy.max_misses:
                return True, None
            challenge = _issue(session, policy, now)
        return True, challenge
    if session.credited_seconds >= session.presence_due_seconds:
        return False, _issue(session, policy, now)
    return False, None


class PresenceError(DomainError):
    """A refused presence answer: ``(message, status=422, field=None)``, as every domain error."""


def challenge_for(user_id: int, public_id: str) -> PresenceChallenge:
    """The member's challenge ``public_id``; 404 for anyone else's."""
    challenge = db.session.scalars(
        sa.select(PresenceChallenge).where(PresenceChallenge.public_id == public_id)
    ).first()
    if challenge is None or challenge.user_id != user_id:
        raise PresenceError(_("没有这个在线确认"), 404)
    return challenge


@dataclass(frozen=True)
class AnswerResult:
    passed: bool
    message: str
    next_challenge: PresenceChallenge | None


def answer(user_id: int, public_id: str, code: str, policy: PresencePolicy) -> AnswerResult:
    """Check the member's answer to an open challenge; the caller commits.

    A wrong answer closes the challenge as a miss and opens a new one with new digits, so guessing
    gains nothing: four digits are one chance in ten thousand, and each session allows
    ``max_misses`` misses in a row.
    """
    now = utcnow()
    found = challenge_for(user_id, public_id)
    # Lock in the heartbeat's order, the session first, so an answer and a heartbeat never deadlock.
    session = db.session.scalars(
        sa.select(PlaybackSession).where(PlaybackSession.id == found.session_id).with_for_update()
    ).one()
    challenge = db.session.scalars(
        sa.select(PresenceChallenge)
        .where(PresenceChallenge.id == found.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if challenge.outcome is not None:
        raise PresenceError(_("该确认已结束，请按页面上的新提示操作"), 409)
    if session.superseded_at is not None:
        raise PresenceError(_("已在其他页面播放，本页面不再记录学习进度"), 409)
    code = (code or "").strip()
    if now >= challenge.expires_at:
        _close(session, challenge, "expired")
        return _missed(session, policy, now, _("确认已超时"))
    challenge.answered_at = now
    if secrets.compare_digest(code.encode(), challenge.code.encode()):
        _close(session, challenge, "passed")
        session.presence_misses = 0
        session.presence_due_seconds = session.credited_seconds + _interval(policy)
        # The stretch while the question was open never counts: the next one starts now.
        session.last_seen_at = now
        db.session.flush()
        return AnswerResult(True, _("已确认，继续学习"), None)
    _close(session, challenge, "wrong")
    return _missed(session, policy, now, _("输入的数字不正确"))


def _missed(session: PlaybackSession, policy: PresencePolicy, now: datetime, why: str) -> AnswerResult:
    session.presence_misses += 1
    if session.presence_misses >= policy.max_misses:
        db.session.flush()
        return AnswerResult(False, _("%(why)s，本次播放已停止计时，请刷新页面后继续学习", why=why), None)
    follow_up = _issue(session, policy, now)
    return AnswerResult(False, _("%(why)s，请输入新图片中的数字", why=why), follow_up)


@dataclass(frozen=True)
class PresenceSummary:
    lesson_id: int
    title: str
    passed: int
    wrong: int
    expired: int


def summary_for(user_id: int) -> list[PresenceSummary]:
    """A member's presence checks by lesson, for coordinators: passed, wrong and expired."""
    counts = sa.func.count(PresenceChallenge.id)
    rows = db.session.execute(
        sa.select(PresenceChallenge.lesson_id, PresenceChallenge.outcome, counts)
        .where(PresenceChallenge.user_id == user_id, PresenceChallenge.outcome.is_not(None))
        .group_by(PresenceChallenge.lesson_id, PresenceChallenge.outcome)
    ).all()
    if not rows:
        return []
    titles = dict(
        db.session.execute(
            sa.select(LessonProgress.lesson_id, LessonProgress.title).where(
                LessonProgress.user_id == user_id,
                LessonProgress.lesson_id.in_({r[0] for r in rows}),
            )
        ).all()
    )
    by_lesson: dict[int, dict[str, int]] = {}
    for lesson_id, outcome, n in rows:
        by_lesson.setdefault(lesson_id, {})[outcome] = n
    return [
        PresenceSummary(
            lesson_id,
            titles.get(lesson_id, f"#{lesson_id}"),
            c.get("passed", 0),
            c.get("wrong", 0),
            c.get("expired", 0),
        )
        for lesson_id, c in sorted(by_lesson.items())
    ]


# --- the image ----------------------------------------------------------------------------------

_GLYPHS = {  # 5 × 7 bitmaps of the digits
    "0": ("01110", "10001", "10011", "10101", "11001", "10001", "01110"),
    "1": ("00100", "01100", "00100", "00100", "00100", "00100", "01110"),
    "2": ("01110", "10001", "00001", "00010", "00100", "01000", "11111"),
    "3": ("11110", "00001", "00001", "01110", "00001", "00001", "11110"),
    "4": ("00010", "00110", "01010", "10010", "11111", "00010", "00010"),
    "5": ("11111", "10000", "11110", "00001", "00001", "10001", "01110"),
    "6": ("00110", "01000", "10000", "11110", "10001", "10001", "01110"),
    "7": ("11111", "00001", "00010", "00100", "01000", "01000", "01000"),
    "8": ("01110", "10001", "10001", "01110", "10001", "10001", "01110"),
    "9": ("01110", "10001", "10001", "01111", "00001", "00010", "01100"),
}
WIDTH, HEIGHT, SCALE = 168, 64, 5


def render_png(code: str, seed: int | None = None) -> bytes:
    """Draw ``code`` with jitter, colours and noise on a light background, as PNG bytes.

    Written by hand (a few dozen lines of zlib) rather than adding an imaging library for one image.
    """
    rnd = random.Random(seed if seed is not None else secrets.randbits(64))
    pixels = [
        [(rnd.randint(235, 255), rnd.randint(235, 255), rnd.randint(235, 255)) for _ in range(WIDTH)]
        for _ in range(HEIGHT)
    ]
    for _line in range(6):  # lines across the digits
        y0, y1 = rnd.randrange(HEIGHT), rnd.randrange(HEIGHT)
        colour = (rnd.randint(120, 200), rnd.randint(120, 200), rnd.randint(120, 200))
        for x in range(WIDTH):
            y = y0 + (y1 - y0) * x // WIDTH
            pixels[y][x] = colour
    x = 12
    for digit in code:
        colour = (rnd.randint(0, 120), rnd.randint(0, 90), rnd.randint(0, 120))
        top = rnd.randint(4, HEIGHT - 7 * SCALE - 4)
        slant = rnd.uniform(-0.35, 0.35)
        for row, bits in enumerate(_GLYPHS[digit]):
            for col, bit in enumerate(bits):
                if bit != "1":
                    continue
                for dy in range(SCALE):
                    for dx in range(SCALE - 1):
                        py = top + row * SCALE + dy
                        px = x + col * (SCALE - 1) + dx + int(slant * (row * SCALE + dy - 17))
                        if 0 <= px < WIDTH and 0 <= py < HEIGHT:
                            pixels[py][px] = colour
        x += 5 * (SCALE - 1) + rnd.randint(10, 16)
    for _speck in range(WIDTH * HEIGHT // 12):  # speckles
        pixels[rnd.randrange(HEIGHT)][rnd.randrange(WIDTH)] = (
            rnd.randint(60, 220),
            rnd.randint(60, 220),
            rnd.randint(60, 220),
        )
    raw = b"".join(b"\x00" + bytes(channel for px in row for channel in px) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )
