"""Lesson quizzes and exams: the landing page, starting, the paper and the result."""

# Views alike in shape to other views by design, kept apart: see this package's docstring.

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.errors import back_to
from app.core.permissions import login_required
from app.extensions import db
from app.quiz import integrity, play, quizzes
from app.quiz.grading import display_answer, shown_answer, shown_options
from app.quiz.models import AttemptKind, Quiz
from app.quiz.play import LateAnswer
from app.quiz.views import bp, get_own_attempt


@bp.route("/q/<int:quiz_id>")
@login_required
def quiz_landing(quiz_id: int):
    quiz = db.session.get(Quiz, quiz_id) or abort(404)
    if not quiz.is_published and not quiz.can_edit(current_user):
        abort(404)
    attempts = db.session.scalars(quizzes.attempts_query(quiz, current_user)).all()
    return render_template(
        "quiz/quiz_landing.html",
        quiz=quiz,
        attempts=attempts,
        status=quizzes.quiz_status(current_user, quiz.id),
        now=play.now(),
    )


@bp.route("/q/<int:quiz_id>/start", methods=["POST"])
@login_required
def quiz_start(quiz_id: int):
    quiz = db.session.get(Quiz, quiz_id) or abort(404)
    with back_to(url_for("quiz.quiz_landing", quiz_id=quiz.id), "warning"):
        try:
            attempt = quizzes.start_quiz_attempt(quiz, current_user)
        except LateAnswer:
            db.session.commit()  # the attempts it closed as expired stay closed
            raise
    db.session.commit()
    return redirect(url_for("quiz.attempt_page", attempt_id=attempt.id))


# The render_template call is alike in shape to portal's notice_readers: different pages.
@bp.route("/attempts/<int:attempt_id>")
@login_required
def attempt_page(attempt_id: int):
    attempt = get_own_attempt(attempt_id)
    if attempt.kind != AttemptKind.QUIZ:
        abort(404)
    quiz = db.session.get(Quiz, attempt.quiz_id)
    if attempt.finished_at is None and attempt.is_overdue(play.now(), play.grace().total_seconds()):
        quizzes.submit_quiz_attempt(attempt, None)
        db.session.commit()
        flash(_("已到答题时限，系统已按截止前保存的答案自动交卷。"), "warning")
    if attempt.finished_at is None:
        return render_template(
            "quiz/paper.html",
            attempt=attempt,
            quiz=quiz,
            shown_options=shown_options,
            seconds_left=play.remaining_seconds(attempt.deadline_at, play.now()),
            monitored=integrity.monitored(quiz),
            saved=lambda item: display_answer(item.question, item.response, item.option_order),
        )
    review = quizzes.can_review(attempt, quiz)
    return render_template(
        "quiz/result.html",
        attempt=attempt,
        quiz=quiz,
        monitored=integrity.monitored(quiz),
        review=review,
        shown_options=shown_options,
        shown_answer=shown_answer,
    )


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@login_required
def attempt_submit(attempt_id: int):
    attempt = get_own_attempt(attempt_id)
    if attempt.kind != AttemptKind.QUIZ:
        abort(404)
    responses = {}
    for item in attempt.items:
        values = request.form.getlist(f"q{item.question_id}")
        responses[str(item.question_id)] = values if len(values) > 1 else (values[0] if values else None)
    with back_to(url_for("quiz.attempt_page", attempt_id=attempt.id)):
        late = quizzes.submit_quiz_attempt(attempt, responses)
    db.session.commit()
    if late:
        flash(_("交卷时已超过答题时限，本次提交的答案未被记录，按截止前保存的答案评分。"), "warning")
    else:
        flash(_("已交卷。"), "success")
    return redirect(url_for("quiz.attempt_page", attempt_id=attempt.id))
