"""民主评议党员 pages: the list, opening a round, a round, self-assessment, the ballot, the grades."""

# Views alike in shape to other blueprints' views by design (load, authorise, one service, commit,
# redirect; import blocks alike too), kept apart: each names its own loader, service and words.

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.branchlife.reviews import services
from app.branchlife.reviews.forms import BallotForm, OpenRoundForm, SelfAssessmentForm, to_utc
from app.branchlife.reviews.models import GRADE_LABELS, PHASE_LABELS, ReviewGrade, ReviewPhase
from app.core.clock import localtoday
from app.core.errors import back_to, refused
from app.core.permissions import login_required
from app.core.urls import id_from
from app.extensions import db

bp = Blueprint("branchlife_review", __name__, url_prefix="/branchlife/reviews")


def _fields(prefix: str) -> dict[str, str]:
    """The posted fields named ``<prefix><id>``, as ``{id: value}`` (the services check the ids)."""
    return {key[len(prefix) :]: value for key, value in request.form.items() if key.startswith(prefix)}


@bp.route("/")
@login_required
def index():
    page = db.paginate(
        services.rounds_query(current_user), per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False
    )
    return render_template(
        "branchlife/review/index.html",
        page=page,
        phase_labels=PHASE_LABELS,
        can_open=bool(services.manageable_branches(current_user)),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def open_round():
    branches = services.manageable_branches(current_user)
    if not branches:
        return render_template(
            "errors/generic.html", status=403, message=_("您没有可组织民主评议的党支部。")
        ), 403
    form = OpenRoundForm()
    form.branch_id.choices = [(b.id, b.name) for b in branches]
    if request.method == "GET":
        form.year.data = localtoday().year
        wanted = id_from(request.args.get("branch"))  # from the branch page's link
        if any(b.id == wanted for b in branches):
            form.branch_id.data = wanted
    status = 200
    if form.validate_on_submit():
        branch = next(b for b in branches if b.id == form.branch_id.data)
        try:
            review = services.open_round(
                current_user,
                branch,
                form.year.data,
                to_utc(form.vote_starts_at.data),
                to_utc(form.vote_ends_at.data),
            )
        except services.ReviewError as exc:
            status = refused(exc, form)
        else:
            db.session.commit()
            flash(_("民主评议已开启，已通知支部党员。"), "success")
            return redirect(url_for(".show", round_id=review.id))
    elif form.is_submitted() or request.method == "POST":
        status = 422
    return render_template("branchlife/review/open.html", form=form), status


@bp.route("/<int:round_id>")
@login_required
def show(round_id: int):
    review = services.get_round_for(round_id, current_user)
    me = review.participant_of(current_user.id)
    form = SelfAssessmentForm(formdata=None, text=me.self_assessment if me else "")
    return render_template(
        "branchlife/review/round.html",
        review=review,
        phase=review.phase(),
        phases=ReviewPhase,
        phase_labels=PHASE_LABELS,
        grade_labels=GRADE_LABELS,
        me=me,
        has_voted=services.has_voted(current_user, review) if me else False,
        can_manage=services.can_manage(current_user, review.branch),
        counts_shown=services.counts_are_shown(review),
        form=form,
        action_form=BallotForm(),
    )


@bp.route("/<int:round_id>/self", methods=["POST"])
@login_required
def self_assess(round_id: int):
    review = services.get_round_for(round_id, current_user)
    form = SelfAssessmentForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            flash(errors[0], "danger")
        return redirect(url_for(".show", round_id=review.id)), 303
    with back_to(url_for(".show", round_id=review.id)):
        services.save_self_assessment(current_user, review, form.text.data)
    db.session.commit()
    flash(_("自我评价已保存。"), "success")
    return redirect(url_for(".show", round_id=review.id))


@bp.route("/<int:round_id>/ballot", methods=["GET", "POST"])
@login_required
def ballot(round_id: int):
    review = services.get_round_for(round_id, current_user)
    form = BallotForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.cast_ballot(current_user, review, _fields("grade_"))
        except services.ReviewError as exc:
            status = refused(exc)
        else:
            db.session.commit()
            flash(_("投票成功，感谢参与。您的选择不会被任何人看到。"), "success")
            return redirect(url_for(".show", round_id=review.id))
    elif request.method == "POST":
        status = 422
    candidates = [p for p in review.participants if p.member_id != current_user.id]
    return render_template(
        "branchlife/review/ballot.html",
        review=review,
        form=form,
        candidates=candidates,
        chosen=_fields("grade_"),
        grades=list(ReviewGrade),
        grade_labels=GRADE_LABELS,
        phase=review.phase(),
        phases=ReviewPhase,
        has_voted=services.has_voted(current_user, review),
    ), status


@bp.route("/<int:round_id>/tally", methods=["POST"])
@login_required
def tally(round_id: int):
    review = services.get_round_for(round_id, current_user, manage=True)
    with back_to(url_for(".show", round_id=review.id)):
        services.tally_round(current_user, review)
    db.session.commit()
    flash(_("计票完成。"), "success")
    return redirect(url_for(".show", round_id=review.id))


@bp.route("/<int:round_id>/grades", methods=["GET", "POST"])
@login_required
def grades(round_id: int):
    review = services.get_round_for(round_id, current_user, manage=True)
    form = BallotForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.record_grades(current_user, review, _fields("grade_"), _fields("reason_"))
        except services.ReviewError as exc:
            status = refused(exc)
        else:
            db.session.commit()
            flash(_("评定等次已保存并通知本人。"), "success")
            return redirect(url_for(".show", round_id=review.id))
    elif request.method == "POST":
        status = 422
    return render_template(
        "branchlife/review/grades.html",
        review=review,
        form=form,
        grades=list(ReviewGrade),
        grade_labels=GRADE_LABELS,
        chosen=_fields("grade_"),
        reasons=_fields("reason_"),
        counts_shown=services.counts_are_shown(review),
        phase=review.phase(),
        phases=ReviewPhase,
    ), status
