"""Lesson quizzes and exams: set up by trainers, taken as one paper, graded on submission.

Answers may be saved while the paper is open (the page saves as the member goes) and are graded
only when it is handed in. After the server's deadline nothing more is accepted: the paper is
graded on what was saved in time. Passing sends ``quiz_passed``; records completes gated lessons.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import User
from app.core import audit
from app.core.errors import DomainError
from app.core.signals import quiz_passed
from app.core.urls import id_from, site_path
from app.extensions import db
from app.quiz import play
from app.quiz.grading import AnswerError, is_correct, parse_response
from app.quiz.models import (
    Attempt,
    AttemptItem,
    AttemptKind,
    Question,
    Quiz,
    QuizPurpose,
    QuizQuestion,
    ReviewPolicy,
)
from app.quiz.play import LateAnswer, PlayError
from app.quiz.points import award_points

QUIZ_PASS_POINTS = 2


class QuizError(DomainError):
    """A trainer's mistake setting up a quiz (Chinese message)."""


@dataclass
class QuizData:
    title: str
    description: str = ""
    purpose: str = QuizPurpose.LESSON.value
    question_ids: list[int] | None = None
    draw_count: int | None = None
    draw_category: str | None = None
    draw_difficulty: int | None = None
    time_limit_seconds: int | None = None
    max_attempts: int | None = None
    pass_mark: int = 60
    shuffle_questions: bool = True
    shuffle_options: bool = True
    review: str = ReviewPolicy.AFTER_SUBMIT.value
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    is_published: bool = False
    switch_limit: int = 0


def _validate(data: QuizData) -> list[int]:
    if not (data.title or "").strip():
        raise QuizError(_("请填写测验名称"))
    if not 0 <= data.pass_mark <= 100:
        raise QuizError(_("及格线应在 0 到 100 之间"))
    if data.opens_at and data.closes_at and data.closes_at <= data.opens_at:
        raise QuizError(_("结束时间必须晚于开始时间"))
    if data.time_limit_seconds is not None and data.time_limit_seconds < 10:
        raise QuizError(_("限时至少 10 秒"))
    if not 0 <= (data.switch_limit or 0) <= 50:
        raise QuizError(_("切屏自动交卷次数应在 0 到 50 之间"))
    if data.max_attempts is not None and data.max_attempts < 1:
        raise QuizError(_("作答次数至少 1 次"))
    if data.review == ReviewPolicy.AFTER_CLOSE and not data.closes_at:
        raise QuizError(_("“考试结束后查看解析”需要设置结束时间"))
    ids = list(dict.fromkeys(data.question_ids or []))
    if data.draw_count:
        query = sa.select(sa.func.count(Question.id)).where(Question.is_retired.is_(False))
        if data.draw_category:
            query = query.where(Question.category == data.draw_category)
        if data.draw_difficulty:
            query = query.where(Question.difficulty == data.draw_difficulty)
        available = db.session.scalar(query)
        if available < data.draw_count:
            raise QuizError(
                _(
                    "抽题范围内只有 %(available)s 道可用题目，少于抽题数 %(draw_count)s",
                    available=available,
                    draw_count=data.draw_count,
                )
            )
        return []
    if ids:
        found = set(
            db.session.scalars(
                sa.select(Question.id).where(Question.id.in_(ids), Question.is_retired.is_(False))
            )
        )
        missing = [i for i in ids if i not in found]
        if missing:
            raise QuizError(_("题目 %(ids)s 不存在或已停用", ids="、".join(map(str, missing))))
    if data.is_published and not ids:
        raise QuizError(_("发布前请选择题目或设置随机抽题"))
    return ids


def _apply(quiz: Quiz, data: QuizData, ids: list[int]) -> None:
    for name in (
        "description",
        "draw_category",
        "draw_difficulty",
        "time_limit_seconds",
        "max_attempts",
        "pass_mark",
        "shuffle_questions",
        "shuffle_options",
        "opens_at",
        "closes_at",
        "is_published",
    ):
        setattr(quiz, name, getattr(data, name))
    quiz.title = data.title.strip()[:200]
    quiz.switch_limit = data.switch_limit or 0
    quiz.purpose = QuizPurpose(data.purpose)
    quiz.review = ReviewPolicy(data.review)
    quiz.draw_count = data.draw_count or None
    if not quiz.draw_count:
        quiz.items = [QuizQuestion(question_id=qid, position=i) for i, qid in enumerate(ids)]
    else:
        quiz.items = []


def create_quiz(data: QuizData, actor: User) -> Quiz:
    ids = _validate(data)
    quiz = Quiz(created_by_id=actor.id)
    db.session.add(quiz)
    _apply(quiz, data, ids)
    db.session.flush()
    audit.record(actor, "quiz.quiz_create", quiz, f"创建测验 {quiz.title}")
    return quiz


def update_quiz(quiz: Quiz, data: QuizData, actor: User) -> Quiz:
    ids = _validate(data)
    _apply(quiz, data, ids)
    db.session.flush()
    audit.record(actor, "quiz.quiz_update", quiz, f"修改测验 {quiz.title}")
    return quiz


# --- for course pages ---------------------------------------------------------------------------


def quiz_url(quiz_id: int) -> str:
    """Where a course page links (or frames) the quiz that gates a lesson; works outside a request
    too (a reminder task building a link), under the site's root either way."""
    return site_path("quiz.quiz_landing", quiz_id=quiz_id)


def quiz_status(user: User, quiz_id: int) -> dict | None:
    """A member's standing on a quiz, for a lesson page: passed, best score, attempts left, link."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        return None
    used, best, passed = db.session.execute(
        sa.select(
            sa.func.count(Attempt.id),
            sa.func.max(Attempt.score),
            sa.func.max(sa.case((Attempt.passed, 1), else_=0)),
        ).where(Attempt.quiz_id == quiz_id, Attempt.user_id == user.id, Attempt.finished_at.is_not(None))
    ).one()
    return {
        "quiz_id": quiz.id,
        "title": quiz.title,
        "url": quiz_url(quiz.id),
        "passed": bool(passed),
        "best_score": best,
        "attempts_used": used,
        "attempts_left": None if quiz.max_attempts is None else max(0, quiz.max_attempts - used),
        "pass_mark": quiz.pass_mark,
    }


# --- taking a quiz ------------------------------------------------------------------------------


def _questions_for(quiz: Quiz) -> list[Question]:
    if quiz.draw_count:
        return play.draw_questions(quiz.draw_count, quiz.draw_category, quiz.draw_difficulty)
    questions = [item.question for item in quiz.items if not item.question.is_retired]
    return play.shuffled(questions) if quiz.shuffle_questions else questions


def attempts_query(quiz: Quiz, user: User):
    return (
        sa.select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id).order_by(Attempt.id)
    )


def open_attempt(quiz: Quiz, user: User) -> Attempt | None:
    return db.session.scalar(attempts_query(quiz, user).where(Attempt.finished_at.is_(None)))


def start_quiz_attempt(quiz: Quiz, user: User) -> Attempt:
    """Resume the member's open paper, or start a new one if the window and attempts allow."""
    at = play.now()
    if not quiz.is_published:
        raise PlayError(_("该测验尚未发布。"), 404)
    if (attempt := open_attempt(quiz, user)) is not None:
        if not attempt.is_overdue(at, play.grace().total_seconds()):
            return attempt
        submit_quiz_attempt(attempt, None)
    if quiz.opens_at and at < quiz.opens_at:
        raise PlayError(_("考试尚未开始。"), 409)
    if quiz.closes_at and at >= quiz.closes_at:
        raise LateAnswer(_("考试已经结束。"))
    used = db.session.scalar(sa.select(sa.func.count()).select_from(attempts_query(quiz, user).subquery()))
    if quiz.max_attempts is not None and used >= quiz.max_attempts:
        raise PlayError(_("您已用完全部 %(max_attempts)s 次作答机会。", max_attempts=quiz.max_attempts), 409)
    questions = _questions_for(quiz)
    if not questions:
        raise PlayError(_("该测验还没有题目。"), 409)
    deadline = at + timedelta(seconds=quiz.time_limit_seconds) if quiz.time_limit_seconds else None
    if quiz.closes_at:
        deadline = min(deadline or quiz.closes_at, quiz.closes_at)
    attempt = play.new_attempt(
        user,
        AttemptKind.QUIZ,
        questions,
        started_at=at,
        once_key=f"quiz:{quiz.id}:{used + 1}",
        deadline_at=deadline,
        shuffle_options=quiz.shuffle_options,
        quiz_id=quiz.id,
    )
    return attempt or open_attempt(quiz, user) or play.find_once(user.id, f"quiz:{quiz.id}:{used + 1}")


def save_answers(attempt: Attempt, responses: dict) -> int:
    """Store answers (``{question_id: raw}``) on an open paper; an empty answer clears one.

    Refused after the deadline. Every answer is checked before any is stored.
    """
    at = play.now()
    if attempt.finished_at is not None:
        raise LateAnswer(_("试卷已经提交。"))
    if attempt.is_overdue(at, play.grace().total_seconds()):
        raise LateAnswer(_("已超过答题时限，答案未被记录。"))
    items = {item.question_id: item for item in attempt.items}
    parsed = {}
    for key, raw in responses.items():
        item = items.get(id_from(key))
        if item is None:
            raise PlayError(_("有题目不属于这份试卷。"), 422)
        if raw in (None, "", []):
            parsed[item.id] = None
            continue
        try:
            parsed[item.id] = parse_response(item.question, raw, item.option_order)
        except AnswerError as exc:
            raise PlayError(
                _("第 %(position)s 题：%(reason)s", position=item.position + 1, reason=exc)
            ) from None
    for item_id, response in parsed.items():
        db.session.execute(
            sa.update(AttemptItem)
            .where(AttemptItem.id == item_id)
            .values(response=response, answered_at=at if response is not None else None)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    for item in attempt.items:
        db.session.refresh(item)
    return len(parsed)


def submit_quiz_attempt(attempt: Attempt, responses: dict | None, reason: str = "submitted") -> bool:
    """Hand the paper in and grade it. Returns True when it came late: the answers sent with it
    were refused and the paper was graded on those saved before the deadline. ``reason`` says who
    handed it in (``switches``: the server, when an exam's switch limit was reached)."""
    at = play.now()
    if attempt.finished_at is not None:
        return False
    late = attempt.is_overdue(at, play.grace().total_seconds())
    if responses and not late:
        save_answers(attempt, responses)
    correct = 0
    for item in attempt.items:
        item.is_correct = item.response is not None and is_correct(item.question, item.response)
        correct += item.is_correct
    db.session.flush()
    total = len(attempt.items) or 1
    score = round(100 * correct / total)
    quiz = db.session.get(Quiz, attempt.quiz_id)
    passed = score >= quiz.pass_mark
    answered = sum(1 for i in attempt.items if i.response is not None)
    finished = play.finish_attempt(
        attempt,
        at,
        "timeout" if late else reason,
        score=score,
        passed=passed,
        correct_count=correct,
        answered_count=answered,
    )
    if finished and passed:
        award = award_points(
            attempt.user_id, "quiz_pass", f"quiz:{quiz.id}", QUIZ_PASS_POINTS, f"通过测验 {quiz.title}"[:200]
        )
        attempt.points = award.points
        db.session.flush()
        quiz_passed.send("quiz", user_id=attempt.user_id, quiz_id=quiz.id, attempt_id=attempt.id, score=score)
    return late


def can_review(attempt: Attempt, quiz: Quiz) -> bool:
    """Correct answers and 解析 are shown only after submission, and only if the quiz allows."""
    if attempt.finished_at is None or quiz.review == ReviewPolicy.NEVER:
        return False
    if quiz.review == ReviewPolicy.AFTER_CLOSE:
        return quiz.closes_at is not None and play.now() >= quiz.closes_at
    return True


# --- results for trainers -----------------------------------------------------------------------


def quiz_results(quiz: Quiz) -> dict:
    """Summary and per-question statistics (correct rate = how hard it proved), in two queries."""
    finished = sa.and_(Attempt.quiz_id == quiz.id, Attempt.finished_at.is_not(None))
    count, average, passed, members = db.session.execute(
        sa.select(
            sa.func.count(Attempt.id),
            sa.func.avg(Attempt.score),
            sa.func.sum(sa.case((Attempt.passed, 1), else_=0)),
            sa.func.count(sa.distinct(Attempt.user_id)),
        ).where(finished)
    ).one()
    rows = db.session.execute(
        sa.select(
            Question,
            sa.func.count(AttemptItem.id),
            sa.func.sum(sa.case((AttemptItem.is_correct, 1), else_=0)),
            sa.func.count(AttemptItem.response),
        )
        .join(AttemptItem, AttemptItem.question_id == Question.id)
        .join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(finished)
        .group_by(Question.id)
        .order_by(Question.id)
    ).all()
    questions = [
        {
            "question": q,
            "shown": shown,
            "answered": answered,
            "correct": int(right or 0),
            "rate": round(100 * (right or 0) / shown) if shown else None,
        }
        for q, shown, right, answered in rows
    ]
    questions.sort(key=lambda row: row["rate"] if row["rate"] is not None else 101)
    return {
        "attempts": count,
        "members": members,
        "average": round(float(average), 1) if average is not None else None,
        "passed": int(passed or 0),
        "questions": questions,
    }


def quiz_attempts_query(quiz: Quiz):
    return (
        sa.select(Attempt)
        .where(Attempt.quiz_id == quiz.id, Attempt.finished_at.is_not(None))
        .order_by(Attempt.finished_at.desc())
    )
