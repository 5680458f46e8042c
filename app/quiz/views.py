"""Quiz pages: the member's 答题 hub and play pages, the trainer's bank, quizzes and contests.

Play pages are shells: their questions arrive through /api/v1 one answer at a time, so no page
ever carries an answer. Every view loads, authorises (the ``get_*_for`` helpers 404/403), calls
one service, commits and renders.
"""

import io

# Import block alike in shape to the other blueprints' views: each names what it uses.
import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import ImportJob, Role, User
from app.core import imports
from app.core.errors import back_to, json_ok, refused
from app.core.permissions import login_required, roles_required
from app.core.urls import id_from
from app.extensions import db
from app.org.models import Branch
from app.org.services import scope_path, visible_branches
from app.portal.panels import register_panel
from app.quiz import bank, contests, duels, importers, play, points, quizzes
from app.quiz.forms import ContestForm, GrantForm, ImportForm, QuestionForm, QuizForm, to_local, to_utc
from app.quiz.grading import answer_text, display_answer, shown_answer, shown_options
from app.quiz.importers import export_xlsx, template_xlsx
from app.quiz.models import (
    KIND_LABELS,
    Attempt,
    AttemptKind,
    Contest,
    Duel,
    DuelStatus,
    Question,
    QuestionGrant,
    Quiz,
)
from app.quiz.play import LateAnswer
from app.quiz.tasks import import_questions_task

bp = Blueprint("quiz", __name__, url_prefix="/quiz")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


# --- the member's side --------------------------------------------------------------------------


def _daily_status(user) -> Attempt | None:
    return play.find_once(user.id, f"daily:{points.local_day(play.now()).isoformat()}")


def member_panel(user):
    return "quiz/_panel.html", {
        "daily": _daily_status(user),
        "total": points.points_total(user.id),
        "today": sum(v["points"] for v in points.points_today(user.id).values()),
    }


def register_panels() -> None:
    register_panel("quiz.member", member_panel, roles=("member",), order=30)


@bp.route("/")
@login_required
def index():
    at = play.now()
    open_contests = [
        c
        for c in db.session.scalars(
            sa.select(Contest).where(Contest.closes_at > at).order_by(Contest.opens_at).limit(20)
        )
        if contests.can_enter_contest(current_user, c)
    ]
    return render_template(
        "quiz/index.html",
        daily=_daily_status(current_user),
        total=points.points_total(current_user.id),
        today=points.points_today(current_user.id),
        contests=open_contests,
        duel=duels.live_duel_for(current_user),
        now=at,
        labels=points.ACTION_LABELS,
    )


@bp.route("/daily")
@login_required
def daily():
    return render_template(
        "quiz/play.html", mode="daily", title=_("每日答题"), start_url=url_for("api.start_daily_quiz")
    )


@bp.route("/challenge")
@login_required
def challenge():
    return render_template(
        "quiz/play.html", mode="challenge", title=_("挑战答题"), start_url=url_for("api.start_challenge")
    )


@bp.route("/contests")
@login_required
def contest_list():
    query = sa.select(Contest).order_by(Contest.opens_at.desc())
    page = db.paginate(query, per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)
    can_create = current_user.has_any_role(Role.TRAINER, Role.COORDINATOR)
    return render_template(
        "quiz/contests.html",
        page=page,
        now=play.now(),
        can_create=can_create,
        can_enter=contests.can_enter_contest,
    )


@bp.route("/contests/<int:contest_id>")
@login_required
def contest_detail(contest_id: int):
    contest = get_contest_for(contest_id)
    at = play.now()
    mine = play.find_once(current_user.id, f"contest:{contest.id}")
    if mine is not None:
        contests.sync_attempt(mine, at)
        db.session.commit()
    manager = contests.can_manage_contest(current_user, contest)
    show_results = contest.is_closed(at) or manager
    ranking = branches = None
    if show_results:
        page = db.paginate(contests.contest_ranking_query(contest), per_page=50, error_out=False)
        ranking = page
        branches = contests.contest_branch_stats(contest)
    return render_template(
        "quiz/contest_detail.html",
        contest=contest,
        mine=mine,
        unranked_reason=_unranked_reason(contest, mine, at),
        now=at,
        manager=manager,
        ranking=ranking,
        branches=branches,
        published=contest.is_closed(at),
    )


def _unranked_reason(contest: Contest, mine: Attempt | None, at) -> str | None:
    """Why the member's result will not be ranked (they know answers of the draw), if it will not."""
    if mine is not None:
        unranked = not mine.is_ranked
    else:
        unranked = not contest.is_closed(at) and contests.is_author_of_draw(current_user, contest)
    return contests.UNRANKED_REASON if unranked else None


@bp.route("/contests/<int:contest_id>/play")
@login_required
def contest_play(contest_id: int):
    contest = get_contest_for(contest_id)
    mine = play.find_once(current_user.id, f"contest:{contest.id}")
    return render_template(
        "quiz/play.html",
        unranked_reason=_unranked_reason(contest, mine, play.now()),
        mode="contest",
        title=contest.title,
        contest=contest,
        start_url=url_for("api.start_contest", contest_id=contest.id),
    )


@bp.route("/duel")
@login_required
def duel_lobby():
    live = duels.live_duel_for(current_user)
    return render_template("quiz/duel.html", duel=live)


@bp.route("/duel/<int:duel_id>")
@login_required
def duel_room(duel_id: int):
    duel = db.session.get(Duel, duel_id) or abort(404)
    if duels.player_of(duel, current_user) is None:
        abort(403)
    return render_template("quiz/duel.html", duel=duel)


@bp.route("/duel/join/<code>")
@login_required
def duel_join(code: str):
    with back_to(url_for("quiz.duel_lobby"), "warning"):
        duel = duels.join_by_code(code, current_user)
    db.session.commit()
    return redirect(url_for("quiz.duel_room", duel_id=duel.id))


@bp.route("/points")
@login_required
def my_points():
    page = db.paginate(
        points.history_query(current_user.id), per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False
    )
    return render_template(
        "quiz/points.html",
        page=page,
        total=points.points_total(current_user.id),
        today=points.points_today(current_user.id),
        labels=points.ACTION_LABELS,
    )


@bp.route("/leaderboard")
@login_required
def leaderboard():
    personal = points.personal_leaderboard() if current_app.config["POINTS_PERSONAL_RANKING"] else None
    return render_template("quiz/leaderboard.html", branches=points.branch_leaderboard(), personal=personal)


# --- quizzes and exams --------------------------------------------------------------------------


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
            saved=lambda item: display_answer(item.question, item.response, item.option_order),
        )
    review = quizzes.can_review(attempt, quiz)
    return render_template(
        "quiz/result.html",
        attempt=attempt,
        quiz=quiz,
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


# --- the question bank (trainers) ---------------------------------------------------------------


@bp.route("/bank")
@roles_required(Role.TRAINER)
def bank_list():
    args = request.args
    query = bank.questions_query(
        args.get("q"),
        args.get("kind") or None,
        args.get("category") or None,
        include_retired=args.get("retired") == "1",
    )
    page = db.paginate(query, per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)
    return render_template("quiz/bank.html", page=page, kinds=KIND_LABELS, categories=bank.categories())


def _fields_from(form: QuestionForm) -> bank.QuestionFields:
    return bank.clean_question(
        form.kind.data,
        form.stem.data,
        [f.data for f in form.option_fields],
        form.answer.data,
        form.explanation.data,
        form.difficulty.data,
        form.tags.data,
        form.category.data,
        form.source.data,
    )


@bp.route("/bank/new", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def question_create():
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            question = bank.create_question(_fields_from(form), current_user)
        except bank.QuestionError as exc:
            refused(exc, form, field="answer")
        else:
            db.session.commit()
            flash(_("已保存题目 %(id)s。", id=question.id), "success")
            return redirect(url_for("quiz.question_preview", question_id=question.id))
    return render_template("quiz/question_form.html", form=form, question=None), 422 if form.errors else 200


@bp.route("/bank/<int:question_id>")
@roles_required(Role.TRAINER)
def question_preview(question_id: int):
    question = get_question_or_404(question_id)
    can_edit = bank.can_edit_question(current_user, question)
    return render_template(
        "quiz/question_preview.html",
        question=question,
        can_edit=can_edit,
        answer=answer_text(question, question.answer) if can_edit else None,
    )


@bp.route("/bank/<int:question_id>/edit", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def question_edit(question_id: int):
    question = get_question_for_edit(question_id)
    form = QuestionForm(obj=None if request.method == "POST" else question)
    if request.method == "GET":
        form.kind.data = question.kind.value
        for f, text in zip(form.option_fields, question.options + [""] * 8):
            f.data = text
        form.answer.data = answer_text(question, question.answer)
    if form.validate_on_submit():
        try:
            bank.update_question(question, _fields_from(form), current_user)
        except bank.QuestionError as exc:
            refused(exc, form, field="answer")
        else:
            db.session.commit()
            flash(_("已修改题目。"), "success")
            return redirect(url_for("quiz.question_preview", question_id=question.id))
    return render_template(
        "quiz/question_form.html", form=form, question=question
    ), 422 if form.errors else 200


@bp.route("/bank/<int:question_id>/retire", methods=["POST"])
@roles_required(Role.TRAINER)
def question_retire(question_id: int):
    question = get_question_for_edit(question_id)
    retire = request.form.get("restore") != "1"
    bank.retire_question(question, current_user, retired=retire)
    db.session.commit()
    flash(_("题目已停用，不会再被抽到。") if retire else _("题目已恢复。"), "success")
    return redirect(url_for("quiz.question_preview", question_id=question.id))


# Alike in shape to accounts' import_users: different importer, task and page.
@bp.route("/bank/import", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def bank_import():
    """Save the file and import it on a worker; the job's page shows progress and the report."""
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            job = importers.create_import_job(
                upload.stream,
                upload.filename or "upload",
                form.category.data or None,
                current_user,
                current_app.config["IMPORT_DIR"],
            )
        except importers.ImportFileError as exc:
            refused(exc, form, field="file")
        else:
            job_id = job.id  # read before committing (see accounts.import_users)
            db.session.commit()
            import_questions_task.delay(job_id)
            return redirect(url_for("quiz.import_status", job_id=job_id))
    recent = ImportJob.recent_of(current_user, "questions")
    status = 422 if form.errors else 200
    return render_template("quiz/import.html", form=form, recent=recent), status


@bp.route("/bank/import/<int:job_id>")
@roles_required(Role.TRAINER)
def import_status(job_id: int):
    job = db.session.get(ImportJob, job_id)
    if job is None or job.kind != "questions":
        abort(404)
    if job.created_by_id != current_user.id and not current_user.is_admin:
        abort(403, _("这是其他讲师的导入任务。"))
    if request.args.get("format") == "json":
        return json_ok(imports.job_status(job))
    return render_template("quiz/import_status.html", job=job)


@bp.route("/bank/template.xlsx")
@roles_required(Role.TRAINER)
def bank_template():
    return send_file(
        io.BytesIO(template_xlsx()), mimetype=XLSX, as_attachment=True, download_name="题库导入模板.xlsx"
    )


@bp.route("/bank/export.xlsx")
@roles_required(Role.TRAINER)
def bank_export():
    """The questions the trainer may edit (all of them for an admin): an export carries the answers."""
    query = (
        bank.questions_query(category=request.args.get("category") or None)
        .where(bank.editable_by(current_user))
        .order_by(None)
        .order_by(Question.id)
        .execution_options(yield_per=500)
    )
    return send_file(
        export_xlsx(db.session.scalars(query)),
        mimetype=XLSX,
        as_attachment=True,
        download_name="题库导出.xlsx",
    )


@bp.route("/bank/grants", methods=["GET", "POST"])
@roles_required(Role.TRAINER)
def bank_grants():
    """Co-editing: a trainer lets another trainer edit their questions of one category."""
    form = GrantForm()
    status = 200
    if form.validate_on_submit():
        owner = current_user
        if form.owner.data and form.owner.data.strip() != current_user.employee_no:
            if not current_user.is_admin:
                abort(403, _("只有题目的作者本人或管理员可以授权共同编辑。"))
            owner = _user_by_employee_no(form.owner.data) or abort(422, _("找不到工号为该值的讲师。"))
        grantee = _user_by_employee_no(form.grantee.data)
        if grantee is None:
            form.grantee.errors.append(_("找不到工号为「%(no)s」的用户。", no=form.grantee.data.strip()))
        else:
            try:
                bank.grant_category(owner, form.category.data, grantee, current_user)
            except bank.GrantError as exc:
                if exc.status == 403:
                    raise  # not theirs to grant: the error page, not the form
                refused(exc, form, field="grantee")
            else:
                db.session.commit()
                flash(_("已授权 %(name)s 共同编辑。", name=grantee.name), "success")
                return redirect(url_for("quiz.bank_grants"))
    if form.errors:
        status = 422
    grants = db.session.scalars(bank.grants_query(current_user).limit(200)).all()
    return render_template("quiz/grants.html", form=form, grants=grants, categories=bank.categories()), status


@bp.route("/bank/grants/<int:grant_id>/revoke", methods=["POST"])
@roles_required(Role.TRAINER)
def bank_grant_revoke(grant_id: int):
    grant = db.session.get(QuestionGrant, grant_id) or abort(404)
    bank.revoke_grant(grant, current_user)
    db.session.commit()
    flash(_("已取消授权。"), "success")
    return redirect(url_for("quiz.bank_grants"))


def _user_by_employee_no(employee_no: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.employee_no == (employee_no or "").strip()))


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


@bp.app_template_global()
def duel_status_label(status: DuelStatus) -> str:
    return {
        DuelStatus.WAITING: _("等待对手"),
        DuelStatus.ACTIVE: _("对战中"),
        DuelStatus.FINISHED: _("已结束"),
        DuelStatus.CANCELLED: _("已取消"),
    }[status]
