"""Quiz pages: the member's 答题 hub and play pages, the trainer's bank, quizzes and contests.

Play pages are shells: their questions arrive through /api/v1 one answer at a time, so no page
ever carries an answer. Every view loads, authorises (the ``get_*_for`` helpers 404/403), calls
one service, commits and renders.

One blueprint, ``quiz``, shared by the modules of this package, one per area: member (the 答题
hub, daily quiz, challenge, contests, duels, points), attempts (lesson quizzes and exams),
question_bank (trainers' bank, import, export, co-editing grants), authoring (trainers' quizzes and
contests), panels (home page). Each module adds its routes to :data:`bp` when imported, at the
end of this file.
"""

from flask import Blueprint, abort
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.quiz import bank, contests
from app.quiz.models import Attempt, Contest, DuelStatus, Question, Quiz

bp = Blueprint("quiz", __name__, url_prefix="/quiz")


# --- loading and authorising --------------------------------------------------------------------


def get_question_or_404(question_id: int) -> Question:
    return db.session.get(Question, question_id) or abort(404)


def get_question_for_edit(question_id: int) -> Question:
    question = get_question_or_404(question_id)
    if not bank.can_edit_question(current_user, question):
        abort(403, _("只有题目的作者、获授权共同编辑的讲师或管理员可以修改这道题。"))
    return question


def get_quiz_for_edit(quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id) or abort(404)
    if not quiz.can_edit(current_user):
        abort(403)
    return quiz


def get_contest_for(contest_id: int, manage: bool = False) -> Contest:
    contest = db.session.get(Contest, contest_id) or abort(404)
    allowed = contests.can_manage_contest if manage else contests.can_see_contest
    if not allowed(current_user, contest):
        abort(403)
    return contest


def get_own_attempt(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != current_user.id:
        abort(404)
    return attempt


@bp.app_template_global()
def duel_status_label(status: DuelStatus) -> str:
    return {
        DuelStatus.WAITING: _("等待对手"),
        DuelStatus.ACTIVE: _("对战中"),
        DuelStatus.FINISHED: _("已结束"),
        DuelStatus.CANCELLED: _("已取消"),
    }[status]


from app.quiz.views import attempts, authoring, member, question_bank  # noqa: E402, F401 -- their routes join bp
