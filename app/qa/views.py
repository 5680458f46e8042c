"""Q&A pages: the column, asking, a question with its answers, votes, reports, moderation, experts."""

# Import block alike in shape to media_pipeline's views: each names what it uses.
import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role, User
from app.core.errors import back_to, json_ok, refused, wants_json
from app.core.moderation import moderated_kind, moderated_kinds
from app.core.permissions import login_required, roles_required
from app.extensions import db
from app.kb import services as kb_services
from app.kb.models import Tag
from app.qa import experts as qa_experts
from app.qa import moderation as qa_moderation
from app.qa import services
from app.qa.forms import AnswerForm, CommentForm, ExpertForm, QuestionForm, ReasonForm

bp = Blueprint("qa", __name__, url_prefix="/qa")

TABS = ("latest", "unanswered", "solved", "mine")
SEEN_LIMIT = 100


@bp.route("/")
@login_required
def index():
    tab = request.args.get("tab") if request.args.get("tab") in TABS else "latest"
    tag = db.session.get(Tag, request.args.get("tag", 0, type=int))
    text = request.args.get("q", "").strip()[:50]
    page = db.paginate(
        services.questions_query(current_user, tab, tag, text),
        per_page=current_app.config["ITEMS_PER_PAGE"],
        error_out=False,
    )
    return render_template("qa/index.html", page=page, tab=tab, tag=tag, text=text)


@bp.route("/ask", methods=["GET", "POST"])
@login_required
def ask():
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            question = services.ask_question(
                current_user,
                form.title.data,
                form.body.data or "",
                form.tags.data or "",
                form.is_private.data,
            )
        except services.QaError as exc:
            refused(exc, form, field="title")
        else:
            db.session.commit()
            flash(_("已提交问题。有人回答时会通知您。"), "success")
            return redirect(url_for("qa.question", question_id=question.id))
    return render_template("qa/ask.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/similar")
@login_required
def similar():
    """Questions like the title being typed (the ask page calls this, debounced)."""
    title = request.args.get("title", "")[:200]
    found = services.similar_questions(title, current_user) if len(title.strip()) >= 2 else []
    return json_ok(
        [
            {
                "id": q.id,
                "title": q.title,
                "url": url_for("qa.question", question_id=q.id),
                "answers": q.answer_count,
                "is_solved": q.is_solved,
            }
            for q in found
        ]
    )


def _question_page(question, answer_form: AnswerForm | None = None, status: int = 200):
    answers = services.answers_for(question, current_user)
    return render_template(
        "qa/question.html",
        question=question,
        answers=answers,
        comments=services.comments_for(question, current_user),
        votes=services.my_votes(question, current_user),
        answer_form=answer_form or AnswerForm(),
        comment_form=CommentForm(),
        is_moderator=services.is_moderator(current_user),
        can_accept=question.author_id == current_user.id or services.is_moderator(current_user),
        can_convert=kb_services.can_write(current_user)
        and question.article_id is None
        and not question.is_private
        and not question.is_hidden
        and any(not a.is_hidden for a in answers),
    ), status


@bp.route("/<int:question_id>")
@login_required
def question(question_id: int):
    question = services.get_question_for(question_id, current_user)
    seen = session.get("qa_seen", [])
    if question.id not in seen:
        services.record_view(question, current_user)
        db.session.commit()
        session["qa_seen"] = [*seen, question.id][-SEEN_LIMIT:]
    return _question_page(question)


def _question_url(question_id: int, anchor: str = "") -> str:
    return url_for("qa.question", question_id=question_id) + anchor


def _back_to(question_id: int, anchor: str = ""):
    return redirect(_question_url(question_id, anchor))


@bp.route("/<int:question_id>/answers", methods=["POST"])
@login_required
def answer(question_id: int):
    question = services.get_question_for(question_id, current_user)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            answer = services.answer_question(question, current_user, form.body.data)
        except services.QaError as exc:
            refused(exc, form, field="body")
        else:
            db.session.commit()
            flash(_("已提交回答。"), "success")
            return _back_to(question_id, f"#answer-{answer.id}")
    return _question_page(question, form, 422)


@bp.route("/<int:question_id>/comments", methods=["POST"])
@bp.route("/<int:question_id>/answers/<int:answer_id>/comments", methods=["POST"])
@login_required
def comment(question_id: int, answer_id: int | None = None):
    question = services.get_question_for(question_id, current_user)
    answer = services.get_answer_for(answer_id, current_user) if answer_id else None
    form = CommentForm()
    if not form.validate_on_submit():
        abort(422, description=form.body.errors[0] if form.body.errors else _("请填写评论。"))
    services.add_comment(question, current_user, form.body.data, answer)
    db.session.commit()
    return _back_to(question_id, f"#answer-{answer_id}" if answer_id else "#comments")


@bp.route("/answers/<int:answer_id>/accept", methods=["POST"])
@login_required
def accept(answer_id: int):
    answer = services.get_answer_for(answer_id, current_user)
    with back_to(_question_url(answer.question_id, f"#answer-{answer_id}"), "warning"):
        services.accept_answer(answer, current_user)
    db.session.commit()
    flash(_("已采纳这个回答。"), "success")
    return _back_to(answer.question_id, f"#answer-{answer_id}")


@bp.route("/answers/<int:answer_id>/vote", methods=["POST"])
@login_required
def vote(answer_id: int):
    answer = services.get_answer_for(answer_id, current_user)
    value = {"up": 1, "down": -1}.get(request.form.get("value", ""))
    if value is None:
        abort(422, description=_("投票只能是赞同或反对。"))
    with back_to(_question_url(answer.question_id, f"#answer-{answer_id}"), "warning"):
        score = services.vote_answer(answer, current_user, value)
    db.session.commit()
    if wants_json():
        return json_ok({"score": score})
    return _back_to(answer.question_id, f"#answer-{answer_id}")


@bp.route("/report/<target_type>/<int:target_id>", methods=["POST"])
@login_required
def report(target_type: str, target_id: int):
    item = qa_moderation.load_target(target_type, target_id)
    form = ReasonForm()
    back = _question_url(item.id if target_type == "question" else item.question_id)
    with back_to(back, "warning"):
        qa_moderation.report_content(item, current_user, form.reason.data or "")
    db.session.commit()
    flash(_("已举报，感谢您的反馈。管理员会尽快处理。"), "success")
    return redirect(back)


@bp.route("/<int:question_id>/to-article", methods=["POST"])
@roles_required(Role.TRAINER, Role.COORDINATOR)
def to_article(question_id: int):
    question = services.get_question_for(question_id, current_user)
    with back_to(_question_url(question_id), "warning"):
        article = services.convert_to_article(question, current_user)
    db.session.commit()
    flash(_("已整理为知识文章草稿，请完善后提交审核。"), "success")
    return redirect(url_for("kb.edit_article", article_id=article.id))


# --- moderation -----------------------------------------------------------------------------------


@bp.route("/moderation")
@roles_required(Role.ADMIN)
def moderation():
    others = [(kind, rows) for kind in moderated_kinds() if (rows := kind.rows(50))]
    return render_template(
        "qa/moderation.html", rows=qa_moderation.moderation_queue(), others=others, reason_form=ReasonForm()
    )


def _qa_action(verb: str, reason: str):
    return {
        "hide": lambda i: qa_moderation.hide_content(i, current_user, reason),
        "restore": lambda i: qa_moderation.restore_content(i, current_user),
        "dismiss": lambda i: qa_moderation.dismiss_reports(i, current_user),
    }[verb]


def _moderate(target_type: str, target_id: int, verb: str, success: str):
    """Q&A's own content, or an item of a kind another domain registered (see app.core.moderation)."""
    reason = ReasonForm().reason.data or ""
    other = moderated_kind(target_type)
    if other is not None:
        item, back = other.load(target_id), url_for("qa.moderation")
        action = {
            "hide": lambda i: other.hide(i, current_user, reason),
            "restore": lambda i: other.restore(i, current_user),
            "dismiss": lambda i: other.dismiss(i, current_user),
        }[verb]
    else:
        item, action = qa_moderation.load_target(target_type, target_id), _qa_action(verb, reason)
        if request.form.get("back") == "question":
            back = _question_url(item.id if target_type == "question" else item.question_id)
        else:
            back = url_for("qa.moderation")
    with back_to(back, "warning"):
        action(item)
    db.session.commit()
    flash(success, "success")
    return redirect(back)


@bp.route("/moderate/<target_type>/<int:target_id>/hide", methods=["POST"])
@roles_required(Role.ADMIN)
def hide(target_type: str, target_id: int):
    return _moderate(target_type, target_id, "hide", _("已隐藏。"))


@bp.route("/moderate/<target_type>/<int:target_id>/restore", methods=["POST"])
@roles_required(Role.ADMIN)
def restore(target_type: str, target_id: int):
    return _moderate(target_type, target_id, "restore", _("已恢复显示。"))


@bp.route("/moderate/<target_type>/<int:target_id>/dismiss", methods=["POST"])
@roles_required(Role.ADMIN)
def dismiss(target_type: str, target_id: int):
    return _moderate(target_type, target_id, "dismiss", _("已驳回举报。"))


# --- experts --------------------------------------------------------------------------------------


@bp.route("/experts", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def experts():
    form = ExpertForm()
    if form.validate_on_submit():
        trainer = db.session.scalars(
            sa.select(User).where(User.employee_no == form.employee_no.data.strip())
        ).first()
        if trainer is None:
            form.employee_no.errors.append(_("没有这个工号的用户"))
        else:
            try:
                qa_experts.designate_expert(trainer, form.tags.data, current_user)
            except services.QaError as exc:
                refused(exc, form, field="tags")
            else:
                db.session.commit()
                flash(_("已指定 %(name)s 为专家。", name=trainer.name), "success")
                return redirect(url_for("qa.experts"))
    return render_template(
        "qa/experts.html", form=form, rows=qa_experts.expert_rows()
    ), 422 if form.is_submitted() else 200


@bp.route("/experts/<int:user_id>/<int:tag_id>/remove", methods=["POST"])
@roles_required(Role.ADMIN)
def remove_expert(user_id: int, tag_id: int):
    trainer, tag = db.session.get(User, user_id), db.session.get(Tag, tag_id)
    if trainer is None or tag is None:
        abort(404)
    qa_experts.remove_expert(trainer, tag, current_user)
    db.session.commit()
    flash(_("已取消。"), "success")
    return redirect(url_for("qa.experts"))
