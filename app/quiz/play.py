"""The engine every quiz form shares: drawing questions, starting attempts, answering, finishing.

All times come from :func:`app.core.clock.utcnow` on the server. An answer is written by one
conditional UPDATE (``... WHERE answered_at IS NULL``), so a replayed or doubled request cannot
grade a question twice; an attempt finishes by the same kind of guarded UPDATE.
"""

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from app.core import clock
from app.core.errors import DomainError
from app.core.transactions import insert_in_savepoint
from app.core.urls import id_from
from app.extensions import db
from app.quiz.grading import AnswerError, is_correct, parse_response
from app.quiz.models import Attempt, AttemptItem, Question, QuestionKind

_rng = secrets.SystemRandom()


class PlayError(DomainError):
    """Something a member did that cannot be done now; ``message`` is shown to them."""


class LateAnswer(PlayError):
    status = 409


def now() -> datetime:
    return clock.utcnow()


def grace() -> timedelta:
    return timedelta(seconds=current_app.config["QUIZ_SUBMIT_GRACE_SECONDS"])


def milliseconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


def draw_questions(
    count: int, category: str | None = None, difficulty: int | None = None, avoid_ids=()
) -> list[Question]:
    """``count`` active questions at random, preferring ones not in ``avoid_ids`` (recently seen)."""
    query = sa.select(Question).where(Question.is_retired.is_(False))
    if category:
        query = query.where(Question.category == category)
    if difficulty:
        query = query.where(Question.difficulty == difficulty)
    avoid_ids = list(avoid_ids)
    fresh = list(
        db.session.scalars(
            (query.where(Question.id.not_in(avoid_ids)) if avoid_ids else query)
            .order_by(sa.func.random())
            .limit(count)
        )
    )
    if len(fresh) < count and avoid_ids:
        fresh += db.session.scalars(
            query.where(Question.id.in_(avoid_ids)).order_by(sa.func.random()).limit(count - len(fresh))
        )
    return fresh


def option_order(question: Question, shuffle: bool = True) -> list[int] | None:
    if not shuffle or question.kind not in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        return None
    order = list(range(len(question.options)))
    _rng.shuffle(order)
    return order


def shuffled(items: list) -> list:
    items = list(items)
    _rng.shuffle(items)
    return items


def find_once(user_id: int, once_key: str) -> Attempt | None:
    return db.session.scalar(
        sa.select(Attempt).where(Attempt.user_id == user_id, Attempt.once_key == once_key)
    )


def new_attempt(
    user,
    kind,
    questions: list[Question],
    *,
    started_at: datetime,
    once_key: str | None = None,
    deadline_at: datetime | None = None,
    shuffle_options: bool = True,
    option_orders: list | None = None,
    present: str = "all",
    item_seconds: int | None = None,
    **refs,
) -> Attempt | None:
    """Create an attempt with its items; ``None`` when ``once_key`` was taken (by a racing request).

    ``present`` is "all" (quizzes, contests), "first" (challenges: one question at a time, each with
    ``item_seconds``) or "none" (duels: the room presents each round to every player).
    """
    attempt = Attempt(
        user_id=user.id,
        kind=kind,
        once_key=once_key,
        branch_id=user.branch_id,
        started_at=started_at,
        deadline_at=deadline_at,
        question_count=len(questions),
        duration_ms=milliseconds(deadline_at - started_at) if deadline_at else None,
        **refs,
    )
    for position, question in enumerate(questions):
        shown = present == "all" or (present == "first" and position == 0)
        attempt.items.append(
            AttemptItem(
                position=position,
                question=question,
                option_order=option_orders[position]
                if option_orders
                else option_order(question, shuffle_options),
                presented_at=started_at if shown else None,
                deadline_at=started_at + timedelta(seconds=item_seconds) if shown and item_seconds else None,
            )
        )
    if not insert_in_savepoint(attempt):
        return None
    return attempt


def item_for(attempt: Attempt, question_id) -> AttemptItem:
    item = db.session.scalar(
        sa.select(AttemptItem).where(
            AttemptItem.attempt_id == attempt.id, AttemptItem.question_id == question_id
        )
    )
    if item is None or item.presented_at is None:
        raise PlayError(_("这道题不在本次答题中。"), 404)
    return item


def answer_item(attempt: Attempt, question_id, raw, at: datetime) -> tuple[AttemptItem, bool]:
    """Grade one answer once. Returns ``(item, is_new)``; a repeat returns the first result.

    Raises :class:`LateAnswer` after the attempt's or the question's deadline (plus the network
    grace), :class:`PlayError` for a finished attempt or an unreadable answer.
    """
    question_id = id_from(question_id)
    if question_id is None:
        raise PlayError(_("缺少题目编号（question_id）。"))
    item = item_for(attempt, question_id)
    if item.answered_at is not None:
        return item, False
    if attempt.finished_at is not None:
        raise LateAnswer(_("本次答题已经结束，答案未被记录。"))
    if attempt.is_overdue(at, grace().total_seconds()) or (
        item.deadline_at is not None and at > item.deadline_at + grace()
    ):
        raise LateAnswer(_("已超过答题时限，本次作答未被记录。"))
    try:
        response = parse_response(item.question, raw, item.option_order)
    except AnswerError as exc:
        raise PlayError(str(exc)) from None
    correct = is_correct(item.question, response)
    written = db.session.execute(
        sa.update(AttemptItem)
        .where(AttemptItem.id == item.id, AttemptItem.answered_at.is_(None))
        .values(answered_at=at, response=response, is_correct=correct)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(item)
    if not written:
        return item, False
    db.session.execute(
        sa.update(Attempt)
        .where(Attempt.id == attempt.id)
        .values(answered_count=Attempt.answered_count + 1, correct_count=Attempt.correct_count + int(correct))
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(attempt)
    return item, True


def add_item_points(item: AttemptItem, points: int) -> None:
    if points:
        item.points += points
        item.attempt.points += points
        db.session.flush()


def finish_attempt(attempt: Attempt, at: datetime, reason: str, **values) -> bool:
    """End ``attempt`` (once): True if this call ended it. Time stops at the deadline at the latest."""
    end = min(at, attempt.deadline_at) if attempt.deadline_at else at
    values.setdefault("duration_ms", milliseconds(end - attempt.started_at))
    done = db.session.execute(
        sa.update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.finished_at.is_(None))
        .values(finished_at=end, end_reason=reason, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(attempt)
    return bool(done)


def remaining_seconds(deadline: datetime | None, at: datetime) -> int | None:
    if deadline is None:
        return None
    return max(0, int((deadline - at).total_seconds()))
