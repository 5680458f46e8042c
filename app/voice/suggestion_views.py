"""Suggestion pages: submitting, the member's own and the public ones, handling, rating, figures."""

# Views alike in shape to other blueprints' views by design (load, authorise, one service, commit,
# redirect; import blocks alike too), kept apart: each names its own loader, service and words.

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.clock import utcnow
from app.core.errors import back_to, refused
from app.core.permissions import login_required
from app.extensions import db
from app.org.models import Branch
from app.voice import suggestions as services
from app.voice.forms import RatingForm, StepForm, SuggestionForm

bp = Blueprint("voice_suggestions", __name__, url_prefix="/suggestions")

TABS = ("mine", "public", "handle")


@bp.route("/")
@login_required
def index():
    handler = services.is_handler(current_user)
    tab = request.args.get("tab")
    if tab not in TABS or (tab == "handle" and not handler):
        tab = "mine"
    query = {
        "mine": services.mine_query,
        "public": services.public_query,
        "handle": services.handled_query,
    }[tab](current_user)
    page = db.paginate(query, per_page=20, error_out=False)
    return render_template("voice/suggestions.html", page=page, tab=tab, is_handler=handler)


def _target_choices() -> list[tuple[str, str]]:
    choices = [("branch", _("所在支部")), ("committee", _("公司党委"))]
    departments = db.session.scalars(
        sa.select(Branch).where(Branch.parent_id.is_not(None)).order_by(Branch.path).limit(200)
    )
    return choices + [(str(b.id), _("部门：%(name)s", name=b.name)) for b in departments]


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = SuggestionForm()
    form.to.choices = _target_choices()
    if form.validate_on_submit():
        data = services.SuggestionData(
            form.title.data, form.body.data, form.to.data, form.is_anonymous.data, form.is_public.data
        )
        try:
            suggestion = services.submit_suggestion(current_user, data, utcnow())
        except services.SuggestionError as exc:
            return render_template("voice/suggestion_form.html", form=form), refused(exc, form, field="to")
        db.session.commit()
        flash(_("建议已提交，办理进展会通知您。"), "success")
        return redirect(url_for("voice_suggestions.detail", suggestion_id=suggestion.id))
    return render_template("voice/suggestion_form.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/<int:suggestion_id>")
@login_required
def detail(suggestion_id: int):
    suggestion = services.get_suggestion_for(suggestion_id, current_user)
    return render_template(
        "voice/suggestion.html",
        suggestion=suggestion,
        can_handle=services.can_handle(current_user, suggestion),
        shows_author=services.shows_author(current_user, suggestion),
        is_author=suggestion.author_id == current_user.id,
        step_form=StepForm(),
        rating_form=RatingForm(),
    )


@bp.post("/<int:suggestion_id>/<action>")
@login_required
def step(suggestion_id: int, action: str):
    suggestion = services.get_suggestion_for(suggestion_id, current_user)
    form = StepForm()
    if action not in services.TRANSITIONS:
        abort(404)
    if not form.validate_on_submit():
        abort(400)
    with back_to(url_for("voice_suggestions.detail", suggestion_id=suggestion.id)):
        services.advance_suggestion(current_user, suggestion, action, form.note.data or "", utcnow())
    db.session.commit()
    flash(_("已更新为「%(status)s」。", status=suggestion.status_label), "success")
    return redirect(url_for("voice_suggestions.detail", suggestion_id=suggestion.id))


@bp.post("/<int:suggestion_id>/rate")
@login_required
def rate(suggestion_id: int):
    suggestion = services.get_suggestion_for(suggestion_id, current_user)
    form = RatingForm()
    if not form.validate_on_submit():
        abort(422)
    with back_to(url_for("voice_suggestions.detail", suggestion_id=suggestion.id)):
        services.rate_suggestion(current_user, suggestion, form.rating.data, form.comment.data or "")
    db.session.commit()
    flash(_("感谢您的评价。"), "success")
    return redirect(url_for("voice_suggestions.detail", suggestion_id=suggestion.id))


@bp.route("/figures")
@login_required
def figures():
    if not (current_user.is_admin or current_user.has_role("coordinator")):
        abort(403)
    return render_template("voice/suggestion_figures.html", figures=services.suggestion_figures(current_user))
