"""Online interview pages: the list, scheduling, the interview page (asking, voting, the live
answers it polls for), the moderator's and the guest's actions, and the published transcript."""

# Views alike in shape to other blueprints' views by design (load, authorise, one service, commit,
# redirect; import blocks alike too), kept apart: each names its own loader, service and words.

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.clock import utcnow
from app.core.errors import back_to, json_ok, refused
from app.core.permissions import login_required
from app.extensions import db
from app.quiz.forms import to_utc
from app.voice import interviews as services
from app.voice.forms import AnswerForm, InterviewAnswerForm, InterviewForm, InterviewQuestionForm
from app.voice.models import Interview

bp = Blueprint("voice_interviews", __name__, url_prefix="/interviews")


@bp.route("/")
@login_required
def index():
    page = db.paginate(
        db.select(Interview).order_by(Interview.starts_at.desc()), per_page=20, error_out=False
    )
    return render_template(
        "voice/interviews.html", page=page, now=utcnow(), can_schedule=services.can_schedule(current_user)
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    if not services.can_schedule(current_user):
        abort(403)
    form = InterviewForm()
    if form.validate_on_submit():
        data = services.InterviewData(
            form.title.data,
            form.description.data or "",
            form.guest_no.data,
            form.guest_title.data or "",
            form.moderator_no.data,
            to_utc(form.starts_at.data),
            to_utc(form.ends_at.data),
        )
        try:
            interview = services.schedule_interview(current_user, data)
        except services.InterviewError as exc:
            return render_template("voice/interview_form.html", form=form), refused(exc, form, field="title")
        db.session.commit()
        return redirect(url_for("voice_interviews.detail", interview_id=interview.id))
    return render_template("voice/interview_form.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/<int:interview_id>")
@login_required
def detail(interview_id: int):
    interview = services.get_interview(interview_id)
    now = utcnow()
    return render_template(
        "voice/interview.html",
        interview=interview,
        phase=interview.phase(now),
        questions=services.questions_for(interview),
        voted=services.my_votes(interview, current_user),
        can_moderate=services.can_moderate(current_user, interview),
        can_answer=services.can_answer(current_user, interview),
        question_form=InterviewQuestionForm(),
        answer_form=InterviewAnswerForm(),
        action_form=AnswerForm(),
    )


@bp.route("/<int:interview_id>/feed")
@login_required
def feed(interview_id: int):
    """The answers so far, for the live page's polling."""
    interview = services.get_interview(interview_id)
    answered = services.questions_for(interview, answered_only=True)
    return json_ok(
        {
            "phase": interview.phase(utcnow()),
            "answers": [{"id": q.id, "question": q.text, "answer": q.answer} for q in answered],
        }
    )


def _back(interview_id: int) -> str:
    return url_for("voice_interviews.detail", interview_id=interview_id)


@bp.post("/<int:interview_id>/questions")
@login_required
def ask(interview_id: int):
    interview = services.get_interview(interview_id)
    form = InterviewQuestionForm()
    if not form.validate_on_submit():
        abort(422)
    with back_to(_back(interview.id)):
        services.ask_question(current_user, interview, form.text.data, utcnow())
    db.session.commit()
    flash(_("问题已提交。"), "success")
    return redirect(_back(interview.id))


@bp.post("/<int:interview_id>/questions/<int:question_id>/<action>")
@login_required
def act(interview_id: int, question_id: int, action: str):
    interview = services.get_interview(interview_id)
    question = services.get_question(interview, question_id)
    form = InterviewAnswerForm() if action == "answer" else AnswerForm()
    if action not in ("vote", "pick", "answer"):
        abort(404)
    if not form.validate_on_submit():
        abort(422)
    now = utcnow()
    with back_to(_back(interview.id)):
        if action == "vote":
            services.vote_question(current_user, question, now)
        elif action == "pick":
            services.pick_question(current_user, question, now)
        else:
            services.answer_question(current_user, question, form.answer.data, now)
    db.session.commit()
    return redirect(_back(interview.id))


@bp.post("/<int:interview_id>/publish")
@login_required
def publish(interview_id: int):
    interview = services.get_interview(interview_id)
    if not AnswerForm().validate_on_submit():
        abort(400)
    with back_to(_back(interview.id)):
        services.publish_transcript(current_user, interview, utcnow())
    db.session.commit()
    flash(_("文字实录已发布。"), "success")
    return redirect(_back(interview.id))
