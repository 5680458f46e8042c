"""Contest forms: the daily quiz (每日答题), the challenge (挑战答题) and timed contests (竞赛).

Each answers question by question through :func:`answer_question`; the member learns whether
they were right, the correct answer and the 解析 only for the question just answered.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.core import audit
from app.core.errors import DomainError
from app.extensions import db
from app.org.models import Branch
from app.org.services import scope_path
from app.quiz import play
from app.quiz.bank import answers_known_to
from app.quiz.grading import public_question, revealed
from app.quiz.models import Attempt, AttemptItem, AttemptKind, Contest, Question
from app.quiz.play import LateAnswer, PlayError
from app.quiz.points import award_points, local_day

RECENT_DAYS = 7
#: Why an author's contest attempt counts for nothing (shown on the contest page and the player).
UNRANKED_REASON = _l(
    "您是本次竞赛抽题范围内题目的作者或共同编辑者，可以参赛，但成绩不计入排名，也不获得积分。"
)


class ContestError(DomainError):
    """A trainer's or coordinator's mistake when setting up a contest (Chinese message)."""


def _recent_question_ids(user_id: int, at: datetime) -> list[int]:
    """Questions the member saw in the last week: the daily draw prefers others."""
    return list(
        db.session.scalars(
            sa.select(AttemptItem.question_id)
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .where(Attempt.user_id == user_id, Attempt.started_at >= at - timedelta(days=RECENT_DAYS))
            .distinct()
        )
    )


# --- daily quiz ---------------------------------------------------------------------------------


def start_daily_quiz(user: User) -> Attempt:
    """Today's daily quiz of ``user``: the same attempt all day, started on the first call."""
    at = play.now()
    once_key = f"daily:{local_day(at).isoformat()}"
    if (attempt := play.find_once(user.id, once_key)) is not None:
        return sync_attempt(attempt, at)
    questions = play.draw_questions(
        current_app.config["QUIZ_DAILY_SIZE"], avoid_ids=_recent_question_ids(user.id, at)
    )
    if not questions:
        raise PlayError(_("题库里还没有可用的题目，请稍后再来。"), 409)
    attempt = play.new_attempt(
        user,
        AttemptKind.DAILY,
        questions,
        started_at=at,
        once_key=once_key,
        deadline_at=at + timedelta(seconds=current_app.config["QUIZ_DAILY_SECONDS"]),
    )
    return attempt or play.find_once(user.id, once_key)


# --- challenge ----------------------------------------------------------------------------------


def current_challenge(user: User) -> Attempt | None:
    return db.session.scalar(
        sa.select(Attempt)
        .where(
            Attempt.user_id == user.id, Attempt.kind == AttemptKind.CHALLENGE, Attempt.finished_at.is_(None)
        )
        .order_by(Attempt.id.desc())
    )


def start_challenge(user: User) -> Attempt:
    """Resume the member's running challenge, or start a new one (one question shown)."""
    at = play.now()
    if (attempt := current_challenge(user)) is not None:
        sync_attempt(attempt, at)
        if attempt.finished_at is None:
            return attempt
    questions = play.draw_questions(current_app.config["QUIZ_CHALLENGE_MAX"])
    if not questions:
        raise PlayError(_("题库里还没有可用的题目，请稍后再来。"), 409)
    return play.new_attempt(
        user,
        AttemptKind.CHALLENGE,
        questions,
        started_at=at,
        present="first",
        item_seconds=current_app.config["QUIZ_CHALLENGE_SECONDS"],
    )


def _present_next(attempt: Attempt, at: datetime) -> AttemptItem | None:
    waiting = [item for item in attempt.items if item.presented_at is None]
    if not waiting:
        return None
    item = waiting[0]
    item.presented_at = at
    item.deadline_at = at + timedelta(seconds=current_app.config["QUIZ_CHALLENGE_SECONDS"])
    db.session.flush()
    return item


# --- timed contests -----------------------------------------------------------------------------


# Alike in shape to bank.create_question (build, flush, audit): different rows.
def create_contest(data: dict, actor: User) -> Contest:
    contest = Contest(created_by_id=actor.id)
    _apply_contest(contest, data)
    db.session.add(contest)
    db.session.flush()
    audit.record(actor, "quiz.contest_create", contest, f"创建竞赛 {contest.title}")
    return contest


def update_contest(contest: Contest, data: dict, actor: User) -> Contest:
    if db.session.scalar(sa.select(sa.func.count(Attempt.id)).where(Attempt.contest_id == contest.id)):
        changing = {
            k
            for k in ("question_count", "time_limit_seconds", "draw_category")
            if data.get(k) != getattr(contest, k)
        }
        if changing:
            raise ContestError(_("已有成员参赛，不能再修改题量、限时或抽题范围"))
    _apply_contest(contest, data)
    db.session.flush()
    audit.record(actor, "quiz.contest_update", contest, f"修改竞赛 {contest.title}")
    return contest


def _apply_contest(contest: Contest, data: dict) -> None:
    title = (data.get("title") or "").strip()
    if not title:
        raise ContestError(_("请填写竞赛名称"))
    if data["closes_at"] <= data["opens_at"]:
        raise ContestError(_("结束时间必须晚于开始时间"))
    if not 1 <= int(data["question_count"]) <= 100:
        raise ContestError(_("题量应在 1 到 100 之间"))
    if not 10 <= int(data["time_limit_seconds"]) <= 24 * 3600:
        raise ContestError(_("答题限时应在 10 秒到 24 小时之间"))
    available = db.session.scalar(_available_count(data))
    if available < int(data["question_count"]):
        raise ContestError(
            _(
                "抽题范围内只有 %(available)s 道可用题目，少于题量 %(data)s",
                available=available,
                data=data["question_count"],
            )
        )
    contest.title = title[:200]
    contest.description = data.get("description") or ""
    contest.opens_at, contest.closes_at = data["opens_at"], data["closes_at"]
    contest.question_count = int(data["question_count"])
    contest.time_limit_seconds = int(data["time_limit_seconds"])
    contest.draw_category = data.get("draw_category") or None
    contest.draw_difficulty = data.get("draw_difficulty") or None
    contest.branch_id = data.get("branch_id") or None


def _draw_pool(contest: Contest):
    """SQL: the questions a member's draw for ``contest`` may come from."""
    query = sa.select(Question.id).where(Question.is_retired.is_(False))
    if contest.draw_category:
        query = query.where(Question.category == contest.draw_category)
    if contest.draw_difficulty:
        query = query.where(Question.difficulty == contest.draw_difficulty)
    return query


def is_author_of_draw(user: User, contest: Contest) -> bool:
    """Whether ``user`` wrote, owns or co-edits any question ``contest`` draws from: they know answers."""
    return bool(db.session.scalar(sa.select(_draw_pool(contest).where(answers_known_to(user.id)).exists())))


def _knows_drawn_answers(attempt: Attempt) -> bool:
    """Whether the member wrote, owns or (by now) co-edits a question of their own draw."""
    drawn = sa.select(AttemptItem.question_id).where(AttemptItem.attempt_id == attempt.id)
    query = sa.select(Question.id).where(Question.id.in_(drawn), answers_known_to(attempt.user_id))
    return bool(db.session.scalar(sa.select(query.exists())))


def _available_count(data: dict):
    query = sa.select(sa.func.count(Question.id)).where(Question.is_retired.is_(False))
    if data.get("draw_category"):
        query = query.where(Question.category == data["draw_category"])
    if data.get("draw_difficulty"):
        query = query.where(Question.difficulty == data["draw_difficulty"])
    return query


def can_enter_contest(user: User, contest: Contest) -> bool:
    if contest.branch is None:
        return True
    return user.branch is not None and contest.branch.contains(user.branch)


def can_manage_contest(user: User, contest: Contest) -> bool:
    """Edit it and see its results early: admins, its creator, coordinators above its branch."""
    if user.is_admin or contest.created_by_id == user.id:
        return True
    prefix = scope_path(user)
    return prefix is not None and contest.branch is not None and contest.branch.path.startswith(prefix)


def can_see_contest(user: User, contest: Contest) -> bool:
    """Its page and, once it closes, its ranking: who may take part and who runs it."""
    return can_enter_contest(user, contest) or can_manage_contest(user, contest)


# Alike in shape to start_daily_quiz, kept apart: different draw, deadline and refusals.
def start_contest(contest: Contest, user: User) -> Attempt:
    """The member's one attempt at ``contest``: drawn for them on entry, timed by the server."""
    at = play.now()
    once_key = f"contest:{contest.id}"
    if (attempt := play.find_once(user.id, once_key)) is not None:
        return sync_attempt(attempt, at)
    if not can_enter_contest(user, contest):
        raise PlayError(_("本次竞赛只面向指定组织的成员。"), 403)
    if at < contest.opens_at:
        raise PlayError(_("竞赛尚未开始。"), 409)
    if contest.is_closed(at):
        raise LateAnswer(_("竞赛已经结束。"))
    questions = play.draw_questions(contest.question_count, contest.draw_category, contest.draw_difficulty)
    if not questions:
        raise PlayError(_("题库里没有符合本次竞赛范围的题目。"), 409)
    attempt = play.new_attempt(
        user,
        AttemptKind.CONTEST,
        questions,
        started_at=at,
        once_key=once_key,
        deadline_at=min(at + timedelta(seconds=contest.time_limit_seconds), contest.closes_at),
        contest_id=contest.id,
        is_ranked=not is_author_of_draw(user, contest),
    )
    return attempt or play.find_once(user.id, once_key)


def contest_ranking_query(contest: Contest):
    """Participants by score (correct answers), then server-measured time, then who started first;
    the member and their branch are loaded in the same query."""
    return (
        sa.select(Attempt)
        .where(Attempt.contest_id == contest.id, Attempt.is_ranked.is_(True))
        .order_by(Attempt.correct_count.desc(), Attempt.duration_ms.asc(), Attempt.id.asc())
    )


def contest_branch_stats(contest: Contest) -> list[dict]:
    """Per branch in the contest's scope: members, participants, participation and average score."""
    members = sa.select(User.branch_id, sa.func.count(User.id).label("members")).where(
        User.is_active_account.is_(True), User.branch_id.is_not(None)
    )
    members = members.group_by(User.branch_id).subquery()
    taken = (
        sa.select(
            Attempt.branch_id,
            sa.func.count(Attempt.id).label("participants"),
            # Authors of the draw took part, but their scores are not the branch's.
            sa.func.avg(sa.case((Attempt.is_ranked.is_(True), Attempt.correct_count))).label("average"),
        )
        .where(Attempt.contest_id == contest.id)
        .group_by(Attempt.branch_id)
        .subquery()
    )
    query = (
        sa.select(Branch.name, members.c.members, sa.func.coalesce(taken.c.participants, 0), taken.c.average)
        .join(members, members.c.branch_id == Branch.id)
        .outerjoin(taken, taken.c.branch_id == Branch.id)
        .order_by(Branch.path)
    )
    if contest.branch is not None:
        query = query.where(Branch.subtree_filter(contest.branch.path))
    return [
        {
            "branch": name,
            "members": count,
            "participants": participants,
            "rate": round(100 * participants / count) if count else 0,
            "average": round(float(average), 1) if average is not None else None,
        }
        for name, count, participants, average in db.session.execute(query).all()
    ]


# --- answering ----------------------------------------------------------------------------------


def answer_question(attempt: Attempt, question_id, raw) -> dict:
    """Grade one answer of a daily quiz, challenge or contest and award its points.

    Returns what the member may now see: correct or not, the correct answer, the 解析, the points
    credited, and for a challenge the next question. A replay returns the first result unchanged.
    """
    at = play.now()
    if attempt.kind not in (AttemptKind.DAILY, AttemptKind.CHALLENGE, AttemptKind.CONTEST):
        raise PlayError(_("这不是逐题作答的答题。"), 404)
    try:
        item, is_new = play.answer_item(attempt, question_id, raw, at)
    except LateAnswer:
        sync_attempt(attempt, at)
        if attempt.kind == AttemptKind.CHALLENGE:
            raise LateAnswer(
                _(
                    "本题已超时（限时 %(value)s 秒），挑战结束，连续答对 %(correct_count)s 题。",
                    value=current_app.config["QUIZ_CHALLENGE_SECONDS"],
                    correct_count=attempt.correct_count,
                )
            ) from None
        raise
    if is_new:
        _after_answer(attempt, item, at)
    result = revealed(item)
    result["replayed"] = not is_new
    result.update(progress(attempt, at))
    return result


def _after_answer(attempt: Attempt, item: AttemptItem, at: datetime) -> None:
    kind = attempt.kind
    if kind == AttemptKind.DAILY:
        if item.is_correct:
            award = award_points(
                attempt.user_id,
                "daily_quiz",
                f"attempt:{attempt.id}:q:{item.question_id}",
                1,
                "每日答题答对一题",
            )
            play.add_item_points(item, award.points)
        if attempt.answered_count >= attempt.question_count:
            play.finish_attempt(attempt, at, "submitted", score=attempt.correct_count)
    elif kind == AttemptKind.CHALLENGE:
        if not item.is_correct:
            play.finish_attempt(attempt, at, "wrong_answer", score=attempt.correct_count)
            return
        award = award_points(
            attempt.user_id, "challenge", f"attempt:{attempt.id}:q:{item.question_id}", 1, "挑战答题答对一题"
        )
        play.add_item_points(item, award.points)
        if _present_next(attempt, at) is None:
            play.finish_attempt(attempt, at, "completed", score=attempt.correct_count)
    elif kind == AttemptKind.CONTEST and attempt.answered_count >= attempt.question_count:
        _finish_contest(attempt, at, "submitted")


def _finish_contest(attempt: Attempt, at: datetime, reason: str) -> None:
    finished = play.finish_attempt(attempt, at, reason, score=attempt.correct_count)
    if finished and attempt.is_ranked and _knows_drawn_answers(attempt):
        attempt.is_ranked = False  # granted co-editing (or wrote one of the questions) while playing
        db.session.flush()
    if finished and attempt.is_ranked and attempt.correct_count:
        award = award_points(
            attempt.user_id, "contest", f"contest:{attempt.contest_id}", attempt.correct_count, "竞赛得分"
        )
        attempt.points += award.points
        db.session.flush()


def sync_attempt(attempt: Attempt, at: datetime) -> Attempt:
    """Bring an attempt up to date with server time: end it when its deadline (or the current
    challenge question's) has passed. Idempotent; called on every read."""
    if attempt.finished_at is not None:
        return attempt
    overdue = attempt.is_overdue(at)
    if attempt.kind == AttemptKind.CHALLENGE:
        current = next((i for i in attempt.items if i.presented_at and i.answered_at is None), None)
        overdue = (
            current is not None
            and current.deadline_at is not None
            and at > current.deadline_at + play.grace()
        )
    if not overdue:
        return attempt
    if attempt.kind == AttemptKind.CONTEST:
        _finish_contest(attempt, at, "timeout")
    elif attempt.kind in (AttemptKind.DAILY, AttemptKind.CHALLENGE):
        play.finish_attempt(attempt, at, "timeout", score=attempt.correct_count)
    return attempt


def progress(attempt: Attempt, at: datetime) -> dict:
    """Where the attempt stands, for the player: remaining time, score, the next question if any."""
    data = {
        "attempt_id": attempt.id,
        "finished": attempt.finished_at is not None,
        "end_reason": attempt.end_reason,
        "answered": attempt.answered_count,
        "correct_count": attempt.correct_count,
        "question_count": attempt.question_count,
        "points": attempt.points,
        "seconds_left": play.remaining_seconds(attempt.deadline_at, at) if attempt.finished_at is None else 0,
    }
    if attempt.kind == AttemptKind.CONTEST:
        data["ranked"] = attempt.is_ranked
        data["unranked_reason"] = None if attempt.is_ranked else UNRANKED_REASON
    if attempt.kind == AttemptKind.CHALLENGE:
        current = next((i for i in attempt.items if i.presented_at and i.answered_at is None), None)
        data["next"] = public_question(current) if current and attempt.finished_at is None else None
        data["seconds_left"] = play.remaining_seconds(current.deadline_at, at) if data["next"] else 0
    return data


def attempt_payload(attempt: Attempt) -> dict:
    """The full state of a question-by-question attempt: questions shown so far, results of the
    answered ones (and of none other)."""
    at = play.now()
    sync_attempt(attempt, at)
    shown = [item for item in attempt.items if item.presented_at is not None]
    data = {
        "attempt_id": attempt.id,
        "kind": attempt.kind.value,
        "questions": [
            public_question(item)
            for item in shown
            if attempt.kind != AttemptKind.CHALLENGE or item.answered_at is None
        ],
        "results": [revealed(item) for item in shown if item.answered_at is not None],
    }
    data.update(progress(attempt, at))
    return data


def finish_overdue_attempts(limit: int = 500) -> int:
    """End attempts whose deadline passed without the member coming back (the periodic sweep)."""
    at = play.now()
    overdue = db.session.scalars(
        sa.select(Attempt)
        .where(
            Attempt.finished_at.is_(None),
            Attempt.deadline_at < at - play.grace(),
            Attempt.kind.in_([AttemptKind.DAILY, AttemptKind.CONTEST]),
        )
        .limit(limit)
    ).all()
    for attempt in overdue:
        sync_attempt(attempt, at)
    return len(overdue)
