"""Training records (学习档案) for members, tracking and exports for coordinators."""

from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.accounts.models import Role, User
from app.core.clock import localtoday
from app.core.errors import back_to
from app.core.pagination import paginate_rows
from app.core.permissions import login_required, roles_required
from app.core.signals import notification_requested
from app.extensions import db
from app.org import services as org_services
from app.records import manual, presence, reports, services
from app.records.forms import DecisionForm, ManualEntryForm, ReverseForm
from app.records.models import HoursEntry, ManualHoursRequest

bp = Blueprint("records", __name__, url_prefix="/records")

SOURCE_LABELS = {
    "lesson": _l("在线课程"),
    "class_attendance": _l("面授课堂"),
    "meeting": _l("三会一课"),
    "manual": _l("手工录入"),
    "reversal": _l("冲销"),
}


@bp.app_template_filter("source_label")
def source_label(kind: str) -> str:
    return str(SOURCE_LABELS.get(kind, kind))


def _year() -> int:
    year = request.args.get("year", type=int)
    today = localtoday()
    return year if year and 2000 <= year <= today.year + 1 else today.year


def _record_context(member: User, year: int) -> dict:
    policy = services.HoursPolicy.from_config()
    by_year = services.hours_by_year(member.id)
    earned = dict(by_year).get(year, 0)
    target = services.target_for(member, policy)
    page = db.paginate(services.entries_for(member.id, year), per_page=50, error_out=False)
    return {
        "member": member,
        "year": year,
        "earned": earned,
        "target": target,
        "percent": min(100, int(100 * earned / target)) if target else 0,
        "by_source": services.hours_by_source(member.id, year),
        "by_year": by_year,
        "page": page,
    }


@bp.route("/me")
@login_required
def my_record():
    return render_template(
        "records/record.html",
        **_record_context(current_user, _year()),
        manage=False,
        completed=services.completed_courses(current_user.id),
    )


@bp.route("/certificates/<int:course_id>")
@login_required
def certificate(course_id: int):
    """A printable completion certificate (结业证书) for a course the member completed."""
    done = next((c for c in services.completed_courses(current_user.id) if c.course_id == course_id), None)
    if done is None:
        abort(404)
    return render_template("records/certificate.html", member=current_user, course=done)


@bp.route("/members/<int:user_id>")
@roles_required(Role.COORDINATOR)
def member_record(user_id: int):
    member = org_services.get_member_for(user_id, current_user)
    context = _record_context(member, _year())
    return render_template(
        "records/record.html",
        **context,
        manage=True,
        entry_form=ManualEntryForm(),
        reverse_form=ReverseForm(),
        presence=presence.summary_for(member.id),
        pending=db.session.scalars(
            manual.pending_query(current_user).where(ManualHoursRequest.user_id == member.id)
        ).all(),
        approval_threshold=manual.approval_threshold(),
    )


# Alike in shape to accounts' reset_password (load member, form, back_to), kept apart: own service.
@bp.route("/members/<int:user_id>/entries", methods=["POST"])
@roles_required(Role.COORDINATOR)
def add_manual_entry(user_id: int):
    member = org_services.get_member_for(user_id, current_user)
    form = ManualEntryForm()
    target = url_for("records.member_record", user_id=member.id)
    if form.validate_on_submit():
        with back_to(target):
            result = manual.request_manual_hours(
                member, form.hours.data, form.reason.data, current_user, form.occurred_on.data
            )
        db.session.commit()
        if isinstance(result, ManualHoursRequest):
            flash(
                _("超过 %(n)s 学时的录入需另一名组织员复核，已提交复核。", n=manual.approval_threshold()),
                "info",
            )
        else:
            flash(_("已录入学时。"), "success")
    else:
        flash("；".join(str(e) for errors in form.errors.values() for e in errors), "danger")
    return redirect(target)


@bp.route("/approvals")
@roles_required(Role.COORDINATOR)
def approvals():
    """Manual entries above the threshold waiting for a second coordinator of the subtree."""
    page = db.paginate(manual.pending_query(current_user), per_page=50, error_out=False)
    return render_template("records/approvals.html", page=page, form=DecisionForm())


@bp.route("/approvals/<int:request_id>", methods=["POST"])
@roles_required(Role.COORDINATOR)
def decide_approval(request_id: int):
    form = DecisionForm()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "reject"):
        flash(_("请选择通过或退回。"), "danger")
        return redirect(url_for("records.approvals"))
    with back_to(url_for("records.approvals")):  # a request not theirs (403/404) shows the error page
        held = manual.get_request_for(request_id, current_user)
        if form.decision.data == "approve":
            manual.approve_manual_request(held, current_user)
        else:
            manual.reject_manual_request(held, current_user, form.note.data)
    db.session.commit()
    flash(_("已通过，学时已记入。") if form.decision.data == "approve" else _("已退回。"), "success")
    return redirect(url_for("records.approvals"))


# Alike in shape to kb's delete_category (get or 404, back_to, service), kept apart: own rules.
@bp.route("/entries/<int:entry_id>/reverse", methods=["POST"])
@roles_required(Role.COORDINATOR)
def reverse_entry(entry_id: int):
    entry = db.session.get(HoursEntry, entry_id)
    if entry is None:
        abort(404)
    member = org_services.get_member_for(entry.user_id, current_user)
    form = ReverseForm()
    target = url_for("records.member_record", user_id=member.id)
    if form.validate_on_submit():
        with back_to(target):
            services.reverse_entry(entry, form.reason.data, current_user)
        db.session.commit()
        flash(_("已冲销该记录。"), "success")
    else:
        flash(_("冲销必须填写原因。"), "danger")
    return redirect(target)


def _scoped_branch() -> object:
    branch_id = request.args.get("branch", type=int)
    return org_services.get_branch_for(branch_id, current_user) if branch_id else None


@bp.route("/dashboard")
@roles_required(Role.COORDINATOR)
def dashboard():
    year, today = _year(), localtoday()
    rows = reports.branch_rollup(current_user, year, today)
    assigned, courses = reports.assignment_completion(current_user, today, [r.branch for r in rows])
    return render_template(
        "records/dashboard.html",
        rows=rows,
        year=year,
        pace=reports.year_fraction(today),
        assigned=assigned,
        courses=courses,
    )


@bp.route("/members")
@roles_required(Role.COORDINATOR)
def members():
    year, today = _year(), localtoday()
    branch = _scoped_branch()
    behind = request.args.get("behind") == "1"
    query = reports.members_query(current_user, year, today, branch, behind_only=behind)
    page = paginate_rows(query)
    return render_template("records/members.html", page=page, year=year, branch=branch, behind=behind)


@bp.route("/export.<fmt>")
@roles_required(Role.COORDINATOR)
def export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    year, today = _year(), localtoday()
    branch = _scoped_branch()
    query = reports.members_query(
        current_user, year, today, branch, behind_only=request.args.get("behind") == "1"
    )
    name = _("学时统计-%(year)s-%(scope)s", year=year, scope=branch.name if branch else _("全部"))
    if fmt == "csv":
        # The rows are read while the response streams, after the view returns: keep its context.
        response = Response(
            stream_with_context(reports.stream_csv(query, year)), mimetype="text/csv; charset=utf-8"
        )
        response.headers["Content-Disposition"] = _attachment(f"{name}.csv")
        return response
    handle = reports.write_xlsx(query, year)
    return send_file(
        handle,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"{name}.xlsx",
    )


def _attachment(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"


@bp.route("/remind", methods=["POST"])
@roles_required(Role.COORDINATOR)
def remind():
    """Remind the selected members, or every member behind the target pace, in one click."""
    year, today = _year(), localtoday()
    branch = _scoped_branch()
    selected = [v for v in request.form.getlist("member", type=int) if 0 < v < 2**31]
    query = reports.members_query(current_user, year, today, branch, behind_only=not selected)
    if selected:
        query = query.where(User.id.in_(selected))  # still within the coordinator's scope
    recipients = db.session.scalars(query.with_only_columns(User.id)).all()
    if not recipients:
        flash(_("没有需要提醒的成员。"), "info")
    else:
        notification_requested.send(
            "records",
            user_ids=recipients,
            title=_("学时提醒"),
            body=_("您今年的学时进度落后于目标，请抓紧完成学习任务。"),
            url=url_for("records.my_record"),
            kind="records.reminder",
        )
        flash(_("已向 %(n)s 名成员发送提醒。", n=len(recipients)), "success")
    return redirect(request.referrer or url_for("records.dashboard"))


# --- 三会一课: moved to organisation life (app/branchlife); old bookmarks still lead there -----------


@bp.route("/meetings")
def meeting_list():
    return redirect(url_for("branchlife.meeting_list"), 301)


@bp.route("/meetings/new")
def new_meeting():
    return redirect(url_for("branchlife.record_meeting", branch=request.args.get("branch", type=int)), 301)


@bp.route("/meetings/<int:meeting_id>")
def meeting_detail(meeting_id: int):
    return redirect(url_for("branchlife.meeting_detail", meeting_id=meeting_id), 301)
