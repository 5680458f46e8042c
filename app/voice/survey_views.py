"""Survey pages: the member's list and answer page; the coordinator's builder, results and export."""

# Views alike in shape to other blueprints' views by design (load, authorise, one service, commit,
# redirect; import blocks alike too), kept apart: each names its own loader, service and words.

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.clock import utcnow
from app.core.errors import back_to, refused
from app.core.permissions import login_required
from app.extensions import db
from app.org.services import visible_branches
from app.quiz.forms import to_local, to_utc
from app.voice import answers as answering
from app.voice import survey_results
from app.voice import surveys as services
from app.voice.forms import AnswerForm, QuestionForm, SurveyForm
from app.voice.models import QuestionKind, SurveyQuestion

bp = Blueprint("voice_surveys", __name__, url_prefix="/surveys")


@bp.route("/")
@login_required
def index():
    now = utcnow()
    open_surveys = db.session.scalars(services.open_surveys_query(current_user, now).limit(100)).all()
    answered = services.answered_ids(current_user, [s.id for s in open_surveys])
    managed = None
    if services.can_create(current_user):
        managed = db.paginate(services.managed_surveys_query(current_user), per_page=20, error_out=False)
    return render_template(
        "voice/surveys.html", open_surveys=open_surveys, answered=answered, managed=managed, now=now
    )


def _survey_form(survey=None) -> SurveyForm:
    form = SurveyForm(obj=survey) if survey is not None and request.method == "GET" else SurveyForm()
    choices = [(0, _("（不按组织，仅指定人员）"))]
    choices += [(b.id, "　" * b.depth + b.name) for b in visible_branches(current_user)]
    form.branch_id.choices = choices
    if survey is not None and request.method == "GET":
        form.branch_id.data = survey.branch_id or 0
        form.opens_at.data, form.closes_at.data = to_local(survey.opens_at), to_local(survey.closes_at)
        form.invitees.data = "\n".join(services.invitee_nos(survey))
    return form


def _data(form: SurveyForm) -> services.SurveyData:
    return services.SurveyData(
        title=form.title.data,
        description=form.description.data or "",
        branch_id=form.branch_id.data or None,
        opens_at=to_utc(form.opens_at.data),
        closes_at=to_utc(form.closes_at.data),
        is_anonymous=form.is_anonymous.data,
        min_group=form.min_group.data,
        invitee_nos=(form.invitees.data or "").split(),
    )


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:survey_id>/settings", methods=["GET", "POST"])
@login_required
def edit(survey_id: int | None = None):
    if not services.can_create(current_user):
        abort(403)
    survey = services.get_survey_for(survey_id, current_user, manage=True) if survey_id else None
    form = _survey_form(survey)
    if form.validate_on_submit():
        try:
            if survey is None:
                survey = services.create_survey(current_user, _data(form))
            else:
                services.update_survey(current_user, survey, _data(form))
        except services.SurveyError as exc:
            return render_template("voice/survey_form.html", form=form, survey=survey), refused(exc, form)
        db.session.commit()
        return redirect(url_for("voice_surveys.build", survey_id=survey.id))
    status = 422 if form.is_submitted() else 200
    return render_template("voice/survey_form.html", form=form, survey=survey), status


@bp.route("/<int:survey_id>/build", methods=["GET", "POST"])
@login_required
def build(survey_id: int):
    survey = services.get_survey_for(survey_id, current_user, manage=True)
    form = QuestionForm()
    if form.validate_on_submit():
        data = services.QuestionData(
            kind=form.kind.data,
            text=form.text.data,
            section=form.section.data or "",
            options=(form.options.data or "").splitlines(),
            rows=(form.rows.data or "").splitlines(),
            is_required=form.is_required.data,
        )
        try:
            services.add_question(current_user, survey, data)
        except services.SurveyError as exc:
            return render_template("voice/survey_build.html", survey=survey, form=form), refused(exc, form)
        db.session.commit()
        flash(_("已添加题目。"), "success")
        return redirect(url_for("voice_surveys.build", survey_id=survey.id))
    status = 422 if form.is_submitted() else 200
    return render_template("voice/survey_build.html", survey=survey, form=form), status


@bp.post("/<int:survey_id>/questions/<int:question_id>/delete")
@login_required
def delete_question(survey_id: int, question_id: int):
    survey = services.get_survey_for(survey_id, current_user, manage=True)
    question = db.session.get(SurveyQuestion, question_id)
    if question is None or question.survey_id != survey.id:
        abort(404)
    with back_to(url_for("voice_surveys.build", survey_id=survey.id)):
        services.delete_question(current_user, question)
    db.session.commit()
    return redirect(url_for("voice_surveys.build", survey_id=survey.id))


@bp.post("/<int:survey_id>/publish")
@login_required
def publish(survey_id: int):
    survey = services.get_survey_for(survey_id, current_user, manage=True)
    if not AnswerForm().validate_on_submit():
        abort(400)
    with back_to(url_for("voice_surveys.build", survey_id=survey.id)):
        services.publish_survey(current_user, survey, utcnow())
    db.session.commit()
    flash(_("调查已发布，已通知参加人员。"), "success")
    return redirect(url_for("voice_surveys.results", survey_id=survey.id))


def answers_from_form(survey, form) -> dict:
    raw = {}
    for question in survey.questions:
        name = f"q{question.id}"
        if question.kind is QuestionKind.MULTIPLE:
            raw[question.id] = form.getlist(name)
        elif question.kind is QuestionKind.MATRIX:
            cells = {str(r): form.get(f"{name}_r{r}") for r in range(len(question.rows))}
            raw[question.id] = {r: c for r, c in cells.items() if c}
        else:
            raw[question.id] = form.get(name, "")
    return raw


def _as_far_as_valid(survey, raw, fallback: dict) -> dict:
    """What the member typed, to show again beside the message (the draft when it cannot be read)."""
    try:
        return answering.clean_answers(survey, raw, complete=False)
    except services.SurveyError:
        return fallback


@bp.route("/<int:survey_id>", methods=["GET", "POST"])
@login_required
def answer(survey_id: int):
    survey = services.get_survey_for(survey_id, current_user)
    now, form = utcnow(), AnswerForm()
    answers, status = answering.draft_for(survey, current_user), 200
    if form.validate_on_submit():
        raw = answers_from_form(survey, request.form)
        submitting = request.form.get("action") == "submit"
        try:
            if submitting:
                answering.submit_response(current_user, survey, raw, now)
            else:
                answering.save_draft(current_user, survey, raw, now)
        except services.SurveyError as exc:
            status = refused(exc)
            answers = _as_far_as_valid(survey, raw, answers)
        else:
            db.session.commit()
            if submitting:
                flash(_("已提交，感谢您的参与！"), "success")
                return redirect(url_for("voice_surveys.index"))
            flash(_("草稿已保存。"), "success")
            return redirect(url_for("voice_surveys.answer", survey_id=survey.id))
    return render_template(
        "voice/survey_answer.html",
        survey=survey,
        form=form,
        answers=answers,
        has_answered=answering.has_answered(survey, current_user),
        is_open=survey.is_open(now),
        can_manage=services.can_manage_survey(current_user, survey),
    ), status


@bp.route("/<int:survey_id>/results")
@login_required
def results(survey_id: int):
    survey = services.get_survey_for(survey_id, current_user, manage=True)
    return render_template(
        "voice/survey_results.html", survey=survey, results=survey_results.survey_results(survey)
    )


@bp.route("/<int:survey_id>/export.xlsx")
@login_required
def export(survey_id: int):
    survey = services.get_survey_for(survey_id, current_user, manage=True)
    with back_to(url_for("voice_surveys.results", survey_id=survey.id)):
        handle = survey_results.export_workbook(current_user, survey)
    db.session.commit()
    return send_file(handle, as_attachment=True, download_name=f"survey-{survey.id}.xlsx")
