"""党建考核 pages: schemes, scores by branch, a branch's detail, scoring, adjusting, exports."""

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.assessment import exports, indicators, services
from app.assessment.forms import AdjustForm, IndicatorForm, ManualScoreForm, SchemeForm, SectionForm
from app.assessment.models import Indicator, ManualScore, SchemeStatus
from app.assessment.services.schemes import branch_in_scope
from app.core.errors import back_to, refused
from app.core.forms import PageForm
from app.core.permissions import login_required
from app.extensions import db
from app.org.services import scope_path

bp = Blueprint("assessment", __name__, url_prefix="/assessment")


def _scheme(scheme_id: int):
    return services.get_scheme_for(scheme_id, current_user)


def _node(scheme, branch_id):
    """A node of the organisation inside what ``current_user`` may see of ``scheme`` (404, 403)."""
    return branch_in_scope(branch_id, services.scope_for(current_user, scheme))


def _indicator(scheme, indicator_id: int) -> Indicator:
    indicator = db.session.get(Indicator, indicator_id)
    if indicator is None or indicator.section.scheme_id != scheme.id:
        abort(404)
    return indicator


def _admin() -> None:
    if not services.can_define(current_user):
        abort(403)


@bp.get("/")
@login_required
def index():
    form = SchemeForm() if services.can_define(current_user) else None
    return render_template("assessment/index.html", schemes=services.schemes_for(current_user), form=form)


@bp.post("/")
@login_required
def create():
    _admin()
    form = SchemeForm()
    if not form.validate_on_submit():
        return render_template(
            "assessment/index.html", schemes=services.schemes_for(current_user), form=form
        ), 422
    try:
        half = int(form.half.data) or None
        scheme = services.create_scheme(current_user, form.name.data, form.year.data, half)
    except services.AssessmentError as exc:
        status = refused(exc, form)
        return render_template(
            "assessment/index.html", schemes=services.schemes_for(current_user), form=form
        ), status
    db.session.commit()
    return redirect(url_for("assessment.scheme", scheme_id=scheme.id))


def _scheme_page(scheme, section_form=None, indicator_form=None, status=200):
    editable = services.can_define(current_user) and scheme.status == SchemeStatus.DRAFT
    return (
        render_template(
            "assessment/scheme.html",
            scheme=scheme,
            label=indicators.label,
            formula=indicators.formula,
            can_define=services.can_define(current_user),
            section_form=(section_form or SectionForm()) if editable else None,
            indicator_form=(indicator_form or IndicatorForm(scheme))
            if editable and scheme.sections
            else None,
            form=PageForm(),
        ),
        status,
    )


@bp.get("/<int:scheme_id>")
@login_required
def scheme(scheme_id: int):
    scheme = _scheme(scheme_id)
    if scope_path(current_user) is None:  # a member: their own 党支部's result is all there is to see
        return redirect(url_for("assessment.branch", scheme_id=scheme.id, branch_id=current_user.branch_id))
    return _scheme_page(scheme)[0]


@bp.post("/<int:scheme_id>/sections")
@login_required
def add_section(scheme_id: int):
    scheme = _scheme(scheme_id)
    _admin()
    form = SectionForm()
    if not form.validate_on_submit():
        return _scheme_page(scheme, section_form=form, status=422)
    try:
        services.add_section(current_user, scheme, form.name.data)
    except services.AssessmentError as exc:
        return _scheme_page(scheme, section_form=form, status=refused(exc, form))
    db.session.commit()
    return redirect(url_for("assessment.scheme", scheme_id=scheme.id))


@bp.post("/<int:scheme_id>/indicators")
@login_required
def add_indicator(scheme_id: int):
    scheme = _scheme(scheme_id)
    _admin()
    form = IndicatorForm(scheme)
    if not form.validate_on_submit():
        return _scheme_page(scheme, indicator_form=form, status=422)
    section = next(s for s in scheme.sections if s.id == form.section_id.data)
    try:
        services.add_indicator(
            current_user,
            section,
            form.name.data,
            form.kind.data,
            form.weight.data,
            form.floor.data,
            form.target.data,
        )
    except services.AssessmentError as exc:
        return _scheme_page(scheme, indicator_form=form, status=refused(exc, form))
    db.session.commit()
    return redirect(url_for("assessment.scheme", scheme_id=scheme.id))


#: The committee's steps through a scheme's life, by the name the page posts.
STATUS_STEPS = {
    "start": services.start_scheme,
    "freeze": services.freeze_scheme,
    "publish": services.publish_scheme,
}


@bp.post("/<int:scheme_id>/<step>")
@login_required
def change_status(scheme_id: int, step: str):
    scheme = _scheme(scheme_id)
    _admin()
    action = STATUS_STEPS.get(step)
    if action is None:
        abort(404)
    if not PageForm().validate_on_submit():
        abort(400)
    with back_to(url_for("assessment.scheme", scheme_id=scheme.id)):
        action(current_user, scheme)
    db.session.commit()
    flash(_("考核状态已更新为「%(status)s」。", status=scheme.status_label), "success")
    return redirect(url_for("assessment.scheme", scheme_id=scheme.id))


@bp.get("/<int:scheme_id>/scores")
@login_required
def scores(scheme_id: int):
    scheme = _scheme(scheme_id)
    prefix = services.scope_for(current_user, scheme)
    branch_id = request.args.get("branch_id", type=int)
    node = _node(scheme, branch_id) if branch_id else None
    rows = services.scores_for(scheme, node.path if node else prefix, with_lines=False)
    return render_template("assessment/scores.html", scheme=scheme, rows=rows, node=node)


@bp.get("/<int:scheme_id>/scores.xlsx")
@login_required
def export(scheme_id: int):
    scheme = _scheme(scheme_id)
    prefix = services.scope_for(current_user, scheme)
    branch_id = request.args.get("branch_id", type=int)
    node = _node(scheme, branch_id) if branch_id else None
    return send_file(
        exports.xlsx(scheme, node.path if node else prefix),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"党建考核-{scheme.name}.xlsx",
    )


def _branch_page(scheme, node, forms=None, status=200):
    detail = services.branch_detail(scheme, node)
    can_adjust = services.can_define(current_user) and scheme.status in (
        SchemeStatus.RUNNING,
        SchemeStatus.FROZEN,
    )
    return (
        render_template(
            "assessment/branch.html",
            scheme=scheme,
            node=node,
            detail=detail,
            can_score=services.can_score(current_user, scheme, node),
            can_adjust=can_adjust and node.kind == "branch",
            forms=forms or {},
            score_form=ManualScoreForm,
            adjust_form=AdjustForm,
        ),
        status,
    )


@bp.get("/<int:scheme_id>/branches/<int:branch_id>")
@login_required
def branch(scheme_id: int, branch_id: int):
    scheme = _scheme(scheme_id)
    return _branch_page(scheme, _node(scheme, branch_id))[0]


@bp.post("/<int:scheme_id>/branches/<int:branch_id>/indicators/<int:indicator_id>/score")
@login_required
def score(scheme_id: int, branch_id: int, indicator_id: int):
    scheme = _scheme(scheme_id)
    node, indicator = _node(scheme, branch_id), _indicator(scheme, indicator_id)
    form = ManualScoreForm(prefix=f"s{indicator.id}")
    if not form.validate_on_submit():
        return _branch_page(scheme, node, {indicator.id: form}, 422)
    upload = form.evidence.data if hasattr(form.evidence.data, "stream") else None
    try:
        services.score_manual(
            current_user,
            indicator,
            node,
            form.points.data,
            form.comment.data,
            upload.stream if upload else None,
            upload.filename if upload else "",
        )
    except services.AssessmentError as exc:
        return _branch_page(scheme, node, {indicator.id: form}, refused(exc, form))
    db.session.commit()
    flash(_("已评分。"), "success")
    return redirect(url_for("assessment.branch", scheme_id=scheme.id, branch_id=node.id))


@bp.post("/<int:scheme_id>/branches/<int:branch_id>/indicators/<int:indicator_id>/adjust")
@login_required
def adjust(scheme_id: int, branch_id: int, indicator_id: int):
    scheme = _scheme(scheme_id)
    node, indicator = _node(scheme, branch_id), _indicator(scheme, indicator_id)
    _admin()
    form = AdjustForm(prefix=f"a{indicator.id}")
    if not form.validate_on_submit():
        return _branch_page(scheme, node, {-indicator.id: form}, 422)
    try:
        services.adjust_points(current_user, indicator, node, form.delta.data, form.reason.data)
    except services.AssessmentError as exc:
        return _branch_page(scheme, node, {-indicator.id: form}, refused(exc, form))
    db.session.commit()
    flash(_("已调整分值。"), "success")
    return redirect(url_for("assessment.branch", scheme_id=scheme.id, branch_id=node.id))


@bp.get("/<int:scheme_id>/evidence/<int:score_id>")
@login_required
def evidence(scheme_id: int, score_id: int):
    scheme = _scheme(scheme_id)
    score = db.session.get(ManualScore, score_id)
    if score is None or _indicator(scheme, score.indicator_id) is None:
        abort(404)
    _node(scheme, score.branch_id)
    path = services.evidence_path(score)
    if not path.is_file():
        abort(404)
    return send_file(path, as_attachment=True, download_name=score.evidence_name)
