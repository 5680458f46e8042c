"""Trainers' quizzes and exams, and contests (trainers and coordinators)."""

# Views alike in shape to other views by design, kept apart: see this package's docstring.

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.core.errors import refused
from app.core.permissions import roles_required
from app.core.urls import id_from
from app.extensions import db
from app.org.models import Branch
from app.org.services import scope_path, visible_branches
from app.quiz import contests, integrity, quizzes
from app.quiz.forms import ContestForm, QuizForm, to_local, to_utc
from app.quiz.models import Attempt, Quiz
from app.quiz.views import bp, get_contest_for, get_quiz_for_edit

# --- quizzes (trainers) -------------------------------------------------------------------------


@bp.route("/manage")
@roles_required(Role.TRAINER)
def quiz_list():
    query = sa.select(Quiz).order_by(Quiz.id.desc())
    if not current_user.is_admin:
        query = query.where(Quiz.created_by_id == current_user.id)
    page = db.paginate(query, per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)
    return render_template("quiz/quizzes.html", page=page)


def _quiz_data(form: QuizForm) -> quizzes.QuizData:
    ids = []
    for part in (form.question_ids.data or "").replace("，", ",").replace(" ", ",").split(","):
        part = part.strip()
        if part:
            if not (part.isascii() and part.isdigit()):
                raise quizzes.QuizError(_("题目编号「%(part)s」不是数字", part=part))
            if (question_id := id_from(part)) is None:
                raise quizzes.QuizError(_("题目 %(part)s 不存在或已停用", part=part))
            ids.append(question_id)
    return quizzes.QuizData(
        title=form.title.data,
        description=form.description.data or "",
        purpose=form.purpose.data,
        question_ids=ids,
        draw_count=form.draw_count.data,
        draw_category=form.draw_category.data or None,
        draw_difficulty=form.draw_difficulty.data or None,
        time_limit_seconds=form.time_limit_minutes.data * 60 if form.time_limit_minutes.data else None,
        max_attempts=form.max_attempts.data,
        pass_mark=form.pass_mark.data,
        shuffle_questions=form.shuffle_questions.data,
        shuffle_options=form.shuffle_options.data,
        review=form.review.data,
        opens_at=to_utc(form.opens_at.data),
        closes_at=to_utc(form.closes_at.data),
        is_published=form.is_published.data,
        switch_limit=form.switch_limit.data or 0,
    )


# Alike in shape to question_create, kept apart: different forms, services and messages.
@bp.route("/manage/new", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def quiz_create():
    form = QuizForm()
    if form.validate_on_submit():
        try:
            quiz = quizzes.create_quiz(_quiz_data(form), current_user)
        except quizzes.QuizError as exc:
            refused(exc, form, field="title")
        else:
            db.session.commit()
            flash(
                _("已创建测验，编号 %(id)s（课程中的课时可引用此编号作为过关测验）。", id=quiz.id), "success"
            )
            return redirect(url_for("quiz.quiz_list"))
    return render_template("quiz/quiz_form.html", form=form, quiz=None), 422 if form.errors else 200


@bp.route("/manage/<int:quiz_id>/edit", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def quiz_edit(quiz_id: int):
    quiz = get_quiz_for_edit(quiz_id)
    form = QuizForm(obj=None if request.method == "POST" else quiz)
    if request.method == "GET":
        form.question_ids.data = ",".join(str(i.question_id) for i in quiz.items)
        form.time_limit_minutes.data = quiz.time_limit_seconds // 60 if quiz.time_limit_seconds else None
        form.opens_at.data, form.closes_at.data = to_local(quiz.opens_at), to_local(quiz.closes_at)
        form.purpose.data, form.review.data = quiz.purpose.value, quiz.review.value
        form.draw_difficulty.data = quiz.draw_difficulty or 0
    if form.validate_on_submit():
        try:
            quizzes.update_quiz(quiz, _quiz_data(form), current_user)
        except quizzes.QuizError as exc:
            refused(exc, form, field="title")
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("quiz.quiz_list"))
    return render_template("quiz/quiz_form.html", form=form, quiz=quiz), 422 if form.errors else 200


@bp.route("/manage/<int:quiz_id>/results")
@roles_required(Role.TRAINER)
def quiz_results(quiz_id: int):
    quiz = get_quiz_for_edit(quiz_id)
    page = db.paginate(
        quizzes.quiz_attempts_query(quiz), per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False
    )
    return render_template("quiz/quiz_results.html", quiz=quiz, page=page, stats=quizzes.quiz_results(quiz))


@bp.route("/manage/<int:quiz_id>/attempts/<int:attempt_id>/events")
@roles_required(Role.TRAINER)
def attempt_events(quiz_id: int, attempt_id: int):
    """What an exam page reported during one member's attempt, at the server's times."""
    quiz = get_quiz_for_edit(quiz_id)
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.quiz_id != quiz.id:
        abort(404)
    return render_template(
        "quiz/attempt_events.html",
        quiz=quiz,
        attempt=attempt,
        events=integrity.attempt_events(attempt),
        event_label=integrity.event_label,
    )


# --- contests (trainers and coordinators) -------------------------------------------------------


def _branch_choices() -> list[tuple[int, str]]:
    branches = visible_branches(current_user)
    choices = [] if scope_path(current_user) not in ("", None) else [(0, _("全体成员"))]
    if not branches and scope_path(current_user) is None:
        branches = list(db.session.scalars(sa.select(Branch).order_by(Branch.path)))
    base = min((b.depth for b in branches), default=0)
    return choices + [(b.id, "　" * (b.depth - base) + b.name) for b in branches]


def _contest_data(form: ContestForm) -> dict:
    return {
        "title": form.title.data,
        "description": form.description.data or "",
        "opens_at": to_utc(form.opens_at.data),
        "closes_at": to_utc(form.closes_at.data),
        "question_count": form.question_count.data,
        "time_limit_seconds": form.time_limit_seconds.data,
        "draw_category": form.draw_category.data or None,
        "draw_difficulty": form.draw_difficulty.data or None,
        "branch_id": form.branch_id.data or None,
    }


@bp.route("/contests/new", methods=["GET", "POST"])
@roles_required(Role.TRAINER, Role.COORDINATOR)
def contest_create():
    form = ContestForm()
    form.branch_id.choices = _branch_choices()
    if form.validate_on_submit():
        try:
            contest = contests.create_contest(_contest_data(form), current_user)
        except contests.ContestError as exc:
            refused(exc, form, field="title")
        else:
            db.session.commit()
            flash(_("已创建竞赛。"), "success")
            return redirect(url_for("quiz.contest_detail", contest_id=contest.id))
    return render_template("quiz/contest_form.html", form=form, contest=None), 422 if form.errors else 200


@bp.route("/contests/<int:contest_id>/edit", methods=["GET", "POST"])
@roles_required(Role.TRAINER, Role.COORDINATOR)
def contest_edit(contest_id: int):
    contest = get_contest_for(contest_id, manage=True)
    form = ContestForm(obj=None if request.method == "POST" else contest)
    form.branch_id.choices = _branch_choices()
    if request.method == "GET":
        form.opens_at.data, form.closes_at.data = to_local(contest.opens_at), to_local(contest.closes_at)
        form.branch_id.data = contest.branch_id or 0
        form.draw_difficulty.data = contest.draw_difficulty or 0
    if form.validate_on_submit():
        try:
            contests.update_contest(contest, _contest_data(form), current_user)
        except contests.ContestError as exc:
            refused(exc, form, field="title")
        else:
            db.session.commit()
            flash(_("已保存。"), "success")
            return redirect(url_for("quiz.contest_detail", contest_id=contest.id))
    return render_template("quiz/contest_form.html", form=form, contest=contest), 422 if form.errors else 200
