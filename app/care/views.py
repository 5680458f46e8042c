"""困难帮扶 pages. Every view of a case goes through ``services.get_case_for`` (404 / 403) and
leaves an audit entry through ``services.record_view``."""

# Views alike in shape to other blueprints' views by design (load, authorise, one service, commit,
# redirect; import blocks alike too), kept apart: each names its own loader, service and words.

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import User
from app.care import services
from app.care.forms import AssistanceForm, CaseForm, DecisionForm, DocumentForm
from app.care.models import HardshipDocument
from app.core.clock import localtoday
from app.core.errors import back_to, refused
from app.core.permissions import login_required
from app.extensions import db

bp = Blueprint("care", __name__, url_prefix="/care")


@bp.route("/")
@login_required
def index():
    page = db.paginate(services.visible_cases_query(current_user), per_page=20, error_out=False)
    for case in page.items:
        services.record_view(current_user, case, "list")
    db.session.commit()
    return render_template(
        "care/index.html",
        page=page,
        is_staff=services.is_care_staff(current_user),
        can_see_summary=services.can_see_summary(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = CaseForm()
    if form.validate_on_submit():
        member = current_user
        if form.member_no.data and form.member_no.data.strip() != current_user.employee_no:
            member = db.session.scalar(db.select(User).where(User.employee_no == form.member_no.data.strip()))
        try:
            if member is None:
                raise services.CareError(_("找不到这个工号。"), field="member_no")
            data = services.CaseData(
                form.kind.data, form.title.data, form.description.data, form.amount_needed.data
            )
            case = services.file_case(current_user, member, data)
        except services.CareError as exc:
            return render_template("care/new.html", form=form), refused(exc, form, field="title")
        db.session.commit()
        flash(_("申请已提交，只有支部书记、帮扶专员和管理员可以看到。"), "success")
        return redirect(url_for("care.case", case_id=case.id))
    return render_template("care/new.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/<int:case_id>")
@login_required
def case(case_id: int):
    case = services.get_case_for(case_id, current_user)
    services.record_view(current_user, case)
    db.session.commit()
    return render_template(
        "care/case.html",
        case=case,
        is_handler=services.is_handler(current_user, case),
        decision_form=DecisionForm(),
        assistance_form=AssistanceForm(given_on=localtoday()),
        document_form=DocumentForm(),
    )


@bp.post("/<int:case_id>/decide")
@login_required
def decide(case_id: int):
    case = services.get_case_for(case_id, current_user)
    form = DecisionForm()
    if not form.validate_on_submit():
        abort(422)
    with back_to(url_for("care.case", case_id=case.id)):
        services.decide_case(current_user, case, form.decision.data, form.note.data, form.follow_up_on.data)
    db.session.commit()
    return redirect(url_for("care.case", case_id=case.id))


@bp.post("/<int:case_id>/assistance")
@login_required
def assistance(case_id: int):
    case = services.get_case_for(case_id, current_user)
    form = AssistanceForm()
    if not form.validate_on_submit():
        abort(422)
    with back_to(url_for("care.case", case_id=case.id)):
        services.add_assistance(
            current_user, case, form.kind.data, form.given_on.data, form.amount.data, form.note.data
        )
    db.session.commit()
    flash(_("已登记帮扶记录。"), "success")
    return redirect(url_for("care.case", case_id=case.id))


@bp.post("/<int:case_id>/documents")
@login_required
def upload(case_id: int):
    case = services.get_case_for(case_id, current_user)
    form = DocumentForm()
    if not form.validate_on_submit():
        abort(422)
    with back_to(url_for("care.case", case_id=case.id)):
        services.add_document(current_user, case, form.file.data.stream, form.file.data.filename)
    db.session.commit()
    return redirect(url_for("care.case", case_id=case.id))


@bp.route("/<int:case_id>/documents/<int:document_id>")
@login_required
def document(case_id: int, document_id: int):
    case = services.get_case_for(case_id, current_user)
    document = db.session.get(HardshipDocument, document_id)
    if document is None or document.case_id != case.id:
        abort(404)
    path = services.upload_dir() / document.stored_name
    if not path.is_file():
        abort(404)
    services.record_view(current_user, case, "document")
    db.session.commit()
    response = send_file(
        path, mimetype=document.content_type, as_attachment=True, download_name=document.filename
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/summary")
@login_required
def summary():
    if not services.can_see_summary(current_user):
        abort(403)
    year = request.args.get("year", localtoday().year, type=int)
    year = year if 2000 <= year <= 2099 else localtoday().year
    return render_template("care/summary.html", rows=services.yearly_summary(year), year=year)
