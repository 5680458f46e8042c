"""Answering through the API: the daily quiz, challenges, contests, exam papers and duels.

The browser's own quiz pages use these same endpoints (session + CSRF header), so a future mobile
app and the web page go through one code path. Correct answers appear only in the response to
the answer that earned them.
"""

from contextlib import contextmanager

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import User
from app.api import ApiError, bp, ok
from app.extensions import db
from app.quiz import contests, duels, integrity, play, quizzes
from app.quiz.models import Attempt, AttemptKind, Contest
from app.quiz.play import LateAnswer


@contextmanager
def playing():
    """A member's mistake answers as any domain error does (app.core.errors); a late answer still
    ends the attempt, so that is committed first."""
    try:
        yield
    except LateAnswer:
        db.session.commit()
        raise


def own_attempt(attempt_id: int, *kinds: AttemptKind) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id or (kinds and attempt.kind not in kinds):
        raise ApiError(_("答题记录不存在。"), 404)
    return attempt


def _answer_body() -> tuple:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "question_id" not in body or "answer" not in body:
        raise ApiError(_('请提交 JSON：{"question_id": …, "answer": …}'), 400)
    return body["question_id"], body["answer"]


# --- daily quiz, challenge, contests ------------------------------------------------------------


@bp.post("/daily-quiz")
def start_daily_quiz():
    with playing():
        attempt = contests.start_daily_quiz(current_user)
    db.session.commit()
    return ok(contests.attempt_payload(attempt))


@bp.post("/daily-quiz/<int:attempt_id>/answers")
def answer_daily_quiz(attempt_id: int):
    return _answer(own_attempt(attempt_id, AttemptKind.DAILY))


# Alike in shape to start_daily_quiz: one service per mode.
@bp.post("/challenge")
def start_challenge():
    with playing():
        attempt = contests.start_challenge(current_user)
    db.session.commit()
    return ok(contests.attempt_payload(attempt))


@bp.get("/attempts/<int:attempt_id>")
def get_attempt(attempt_id: int):
    attempt = own_attempt(attempt_id, AttemptKind.DAILY, AttemptKind.CHALLENGE, AttemptKind.CONTEST)
    payload = contests.attempt_payload(attempt)
    db.session.commit()  # an overdue attempt has just been ended
    return ok(payload)


@bp.post("/attempts/<int:attempt_id>/answers")
def answer_attempt(attempt_id: int):
    return _answer(own_attempt(attempt_id, AttemptKind.DAILY, AttemptKind.CHALLENGE, AttemptKind.CONTEST))


def _answer(attempt: Attempt):
    question_id, answer = _answer_body()
    with playing():
        result = contests.answer_question(attempt, question_id, answer)
    db.session.commit()
    return ok(result)


@bp.get("/contests")
def list_contests():
    at = play.now()
    rows = db.session.scalars(
        sa.select(Contest).where(Contest.closes_at > at).order_by(Contest.opens_at).limit(50)
    ).all()
    return ok(
        [
            {
                "id": c.id,
                "title": c.title,
                "opens_at": c.opens_at.isoformat(),
                "closes_at": c.closes_at.isoformat(),
                "question_count": c.question_count,
                "time_limit_seconds": c.time_limit_seconds,
                "is_open": c.is_open(at),
            }
            for c in rows
            if contests.can_enter_contest(current_user, c)
        ]
    )


@bp.post("/contests/<int:contest_id>/attempt")
def start_contest(contest_id: int):
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        raise ApiError(_("竞赛不存在。"), 404)
    with playing():
        attempt = contests.start_contest(contest, current_user)
    db.session.commit()
    return ok(contests.attempt_payload(attempt))


@bp.get("/contests/<int:contest_id>/ranking")
def contest_ranking(contest_id: int):
    contest = db.session.get(Contest, contest_id)
    if contest is None:
        raise ApiError(_("竞赛不存在。"), 404)
    if not contests.can_see_contest(current_user, contest):
        raise ApiError(_("本次竞赛只面向指定组织的成员。"), 403)
    if not contest.is_closed(play.now()):
        raise ApiError(_("竞赛结束后公布排名。"), 409)
    limit = min(request.args.get("limit", 50, type=int), 200)
    rows = db.session.scalars(contests.contest_ranking_query(contest).limit(limit)).unique().all()
    ranking = [
        {
            "rank": i,
            "name": a.user.name,
            "branch": a.branch.name if a.branch else "",
            "score": a.correct_count,
            "seconds": round((a.duration_ms or 0) / 1000, 1),
        }
        for i, a in enumerate(rows, start=1)
    ]
    return ok({"ranking": ranking, "branches": contests.contest_branch_stats(contest)})


# --- exam papers ----------------------------------------------------------------------------------


@bp.put("/quiz-attempts/<int:attempt_id>/answers")
def save_quiz_answers(attempt_id: int):
    attempt = own_attempt(attempt_id, AttemptKind.QUIZ)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("answers"), dict):
        raise ApiError(_('请提交 JSON：{"answers": {"题目编号": 答案}}'), 400)
    with playing():
        saved = quizzes.save_answers(attempt, body["answers"])
    db.session.commit()
    return ok({"saved": saved, "seconds_left": play.remaining_seconds(attempt.deadline_at, play.now())})


@bp.post("/quiz-attempts/<int:attempt_id>/events")
def report_exam_event(attempt_id: int):
    """The exam page reports leaving it, copying, pasting or leaving full screen (see
    :mod:`app.quiz.integrity`); the answer says how many switches the server has counted."""
    attempt = own_attempt(attempt_id, AttemptKind.QUIZ)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("kind"), str):
        raise ApiError(_('请提交 JSON：{"kind": 事件类型, "client_time": 毫秒时间戳}'), 400)
    client_at = integrity.parse_client_time(body.get("client_time"))
    with playing():
        outcome = integrity.report_event(attempt, body["kind"], client_at)
    db.session.commit()
    return ok(
        {
            "switch_count": outcome.switch_count,
            "switch_limit": outcome.switch_limit,
            "counted": outcome.counted,
            "stored": outcome.stored,
            "submitted": outcome.submitted,
        }
    )


# --- duels ----------------------------------------------------------------------------------------


def _room_request() -> tuple[dict, int]:
    """The body of a match or invite request (optional) and the room size it asks for: 2 or 4,
    as a number or a string of digits; anything else is 0, which the service refuses by name."""
    body = request.get_json(silent=True)
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise ApiError(_("请求体须为 JSON 对象。"), 400)
    capacity = body.get("capacity", 2)
    sizes = {2: 2, 4: 4, "2": 2, "4": 4}
    return body, sizes.get(capacity, 0) if isinstance(capacity, int | str) else 0


def _duel_state(duel):
    db.session.commit()
    return ok(duels.state(duel, current_user))


@bp.post("/duels/match")
def match_duel():
    _body, capacity = _room_request()
    with playing():
        duel = duels.find_match(current_user, capacity)
    return _duel_state(duel)


@bp.post("/duels")
def create_duel():
    body, capacity = _room_request()
    invitee = None
    if body.get("invite"):
        invitee = db.session.scalar(sa.select(User).where(User.employee_no == str(body["invite"]).strip()))
        if invitee is None:
            raise ApiError(_("找不到这个工号的成员。"), 422, field="invite")
    with playing():
        duel = duels.create_duel(current_user, capacity, is_open=False, invitee=invitee)
    return _duel_state(duel)


@bp.post("/duels/join/<code>")
def join_duel(code: str):
    with playing():
        duel = duels.join_by_code(code, current_user)
    return _duel_state(duel)


@bp.get("/duels/<int:duel_id>")
def poll_duel(duel_id: int):
    with playing():
        duel = duels.poll(duel_id, current_user)
    return _duel_state(duel)


@bp.post("/duels/<int:duel_id>/answers")
def answer_duel(duel_id: int):
    question_id, answer = _answer_body()
    with playing():
        result = duels.answer_duel(duel_id, current_user, question_id, answer)
    db.session.commit()
    return ok(result)


@bp.post("/duels/<int:duel_id>/leave")
def leave_duel(duel_id: int):
    with playing():
        duel = duels.leave_duel(duel_id, current_user)
    return _duel_state(duel)
