"""The question bank (trainers): list, write, preview, retire, import, export, co-editing grants."""

# Views alike in shape to other views by design, kept apart: see this package's docstring.

import io

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import jobs
from app.accounts.models import ImportJob, Role, User
from app.core import imports
from app.core.errors import refused
from app.core.permissions import roles_required
from app.extensions import db
from app.quiz import bank, importers
from app.quiz.exports import export_xlsx, template_xlsx
from app.quiz.forms import GrantForm, ImportForm, QuestionForm
from app.quiz.grading import answer_text
from app.quiz.models import KIND_LABELS, Question, QuestionGrant
from app.quiz.tasks import import_questions_task
from app.quiz.views import bp, get_question_for_edit, get_question_or_404

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
    job = jobs.get_job_for(job_id, "questions", current_user, refusal=_("这是其他讲师的导入任务。"))
    return imports.job_page(job, "quiz/import_status.html")


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
