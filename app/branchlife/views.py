"""Organisation-life pages: plan, notice, check in, ask for leave, finalise, amend."""

# Views alike in shape to other blueprints' views by design (load, authorise, one service, commit,
# redirect; import blocks alike too), kept apart: each names its own loader, service and words.

import segno
import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import User
from app.branchlife import branch_page, change_views, compliance_views, group_views, kinds, services
from app.branchlife.forms import (
    AmendForm,
    CardCheckinForm,
    CheckinForm,
    DecisionForm,
    FinaliseForm,
    NoteForm,
    PlanForm,
    PresentForm,
    ReasonForm,
    RecordForm,
    plan_from,
)
from app.branchlife.models import Amendment, Meeting, MeetingFile
from app.branchlife.services import evidence
from app.core.clock import localtoday, utcnow
from app.core.errors import back_to, refused
from app.core.forms import PageForm
from app.core.permissions import login_required
from app.core.urls import absolute_url, id_from
from app.extensions import db
from app.membership.services import photos
from app.org import services as org_services
from app.org.models import Branch

bp = Blueprint("branchlife", __name__, url_prefix="/branchlife")


@bp.route("/")
@login_required
def index():
    return render_template(
        "branchlife/index.html",
        upcoming=services.upcoming_for(current_user, limit=20),
        plans=bool(services.plannable_branches(current_user)),
    )


def _visible_meetings():
    prefix = org_services.scope_path(current_user)
    own = [current_user.branch_id] if current_user.branch_id else []
    query = services.meetings_query(prefix, own)
    own_secretary = current_user.branch is not None and services.can_plan(current_user, current_user.branch)
    if prefix is None and not own_secretary:
        query = query.where(Meeting.status != "draft")
    return query


@bp.route("/meetings")
@login_required
def meeting_list():
    page = db.paginate(_visible_meetings(), error_out=False)
    planner = bool(services.plannable_branches(current_user))
    return render_template("branchlife/meetings.html", page=page, label=kinds.label, planner=planner)


def _branch_to_plan() -> tuple[list[Branch], Branch | None]:
    branches = services.plannable_branches(current_user)
    if not branches:
        abort(403)
    if not request.values.get("branch"):
        return branches, None
    branch_id = id_from(request.values.get("branch"))
    branch = db.session.get(Branch, branch_id) if branch_id else None
    if branch is None:
        abort(404)
    if not services.can_plan(current_user, branch):
        abort(403)
    return branches, branch


def _members(branch: Branch | None) -> list[User]:
    if branch is None:
        return []
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Branch, Branch.id == User.branch_id)
            .where(User.is_active_account.is_(True), Branch.subtree_filter(branch.path))
            .order_by(User.employee_no)
        )
    )


@bp.route("/meetings/record", methods=["GET", "POST"])
@login_required
def record_meeting():
    """Record a meeting held already: pick the branch (a GET reloads its members), tick who was there."""
    branches, branch = _branch_to_plan()
    form = RecordForm()
    form.kind.choices = [("", _("请选择")), *((k, str(v)) for k, v in kinds.KINDS.items())]
    if request.method == "GET" and form.held_on.data is None:
        form.held_on.data = localtoday()
    chosen = set(request.form.getlist("member", type=int)) if request.method == "POST" else None
    status = 200
    if request.method == "POST":
        status = 422
        if branch is None:
            flash(_("请先选择组织。"), "danger")
        elif form.validate_on_submit():
            data = services.MeetingData(
                form.kind.data,
                form.title.data,
                form.held_on.data,
                form.minutes.data,
                sorted(chosen),
                form.lecturer.data,
            )
            try:
                meeting = services.record_meeting(current_user, branch, data)
            except services.BranchLifeError as exc:
                status = 403 if refused(exc, form) == 403 else 422
            else:
                db.session.commit()
                flash(_("已记录会议，%(n)s 名出席成员各计入学时。", n=meeting.attendees), "success")
                return redirect(url_for("branchlife.meeting_detail", meeting_id=meeting.id))
        else:
            flash("；".join(str(e) for errors in form.errors.values() for e in errors), "danger")
    return render_template(
        "branchlife/record_form.html",
        form=form,
        branches=branches,
        branch=branch,
        people=_members(branch),
        chosen=chosen,
    ), status


@bp.route("/meetings/new", methods=["GET", "POST"])
@login_required
def new_meeting():
    branches, branch = _branch_to_plan()
    form = PlanForm()
    form.kind.choices = [("", _("请选择")), *((k, str(v)) for k, v in kinds.KINDS.items())]
    status = 200
    if request.method == "POST":
        status = 422
        if branch is None:
            flash(_("请先选择组织。"), "danger")
        elif form.validate_on_submit():
            try:
                meeting = services.plan_meeting(current_user, branch, plan_from(form))
            except services.BranchLifeError as exc:
                status = refused(exc, form)
            else:
                db.session.commit()
                flash(_("会议已安排。"), "success")
                return redirect(url_for("branchlife.meeting_detail", meeting_id=meeting.id))
    return render_template(
        "branchlife/plan_form.html",
        form=form,
        branches=branches,
        branch=branch,
        people=_members(branch),
        groups=services.groups_of(branch) if branch is not None else [],
    ), status


@bp.route("/meetings/<int:meeting_id>")
@login_required
def meeting_detail(meeting_id: int):
    meeting = services.get_meeting_for(meeting_id, current_user)
    manage = services.can_plan(current_user, meeting.branch)
    rows = services.attendance_rows(meeting)
    mine = next((r for r in rows if r.user_id == current_user.id), None)
    code = None
    if manage and meeting.status == "published":
        try:
            code = services.checkin_code(current_user, meeting)
        except services.BranchLifeError:
            code = None
    history = db.session.scalars(
        sa.select(Amendment).where(Amendment.meeting_id == meeting.id).order_by(Amendment.id.desc())
    ).all()
    files = db.session.scalars(
        sa.select(MeetingFile).where(MeetingFile.meeting_id == meeting.id).order_by(MeetingFile.id)
    ).all()
    return render_template(
        "branchlife/meeting.html",
        meeting=meeting,
        files=files,
        kind=kinds.label(meeting.kind),
        rows=rows if manage else [],
        mine=mine,
        manage=manage,
        changeable=manage
        and meeting.status in ("draft", "published")
        and meeting.starts_at is not None
        and utcnow() < meeting.starts_at,
        code=code,
        history=history,
        forms={
            "checkin": CheckinForm(),
            "card": CardCheckinForm(formdata=None),
            "reason": ReasonForm(),
            "present": PresentForm(),
            "decision": DecisionForm(),
            "finalise": FinaliseForm(),
            "amend": AmendForm(),
            "note": NoteForm(),
        },
        notes=services.notes_of(meeting, current_user, manage) if meeting.kind == "life_meeting" else [],
    )


def _posted(meeting_id: int, form_class, manage: bool = True):
    """Load and authorise the meeting, validate the posted form: ``(meeting, back URL, form)``, the
    form ``None`` when invalid (its errors flashed)."""
    meeting = services.get_meeting_for(meeting_id, current_user, manage=manage)
    back = url_for("branchlife.meeting_detail", meeting_id=meeting.id)
    form = form_class()
    if not form.validate_on_submit():
        flash("；".join(str(e) for errors in form.errors.values() for e in errors), "danger")
        return meeting, back, None
    return meeting, back, form


def _act(meeting_id: int, form_class, action, success: str, manage: bool = True):
    """Load, authorise, validate the posted form, run one service, commit, flash, redirect back."""
    meeting, back, form = _posted(meeting_id, form_class, manage)
    if form is None:
        return redirect(back)
    with back_to(back):
        action(meeting, form)
    db.session.commit()
    flash(success, "success")
    return redirect(back)


@bp.route("/meetings/<int:meeting_id>/publish", methods=["POST"])
@login_required
def publish(meeting_id: int):
    return _act(
        meeting_id, PageForm, lambda m, f: services.publish_meeting(current_user, m), _("会议已发布。")
    )


@bp.route("/meetings/<int:meeting_id>/checkin", methods=["POST"])
@login_required
def checkin(meeting_id: int):
    online = request.form.get("online") == "1"
    return _act(
        meeting_id,
        CheckinForm,
        lambda m, f: services.check_in(current_user, m, f.code.data, online=online),
        _("签到成功。"),
        manage=False,
    )


@bp.route("/meetings/<int:meeting_id>/checkin/card", methods=["POST"])
@login_required
def card_checkin(meeting_id: int):
    """Two steps: the scanned card is verified and its member shown with their photo; only the
    secretary's confirmation that this is the person in front of them records the presence (a
    screenshot of someone else's card proves nothing about who is in the room)."""
    if request.form.get("confirm") == "1":
        return _act(
            meeting_id,
            CardCheckinForm,
            lambda m, f: services.check_in_by_card(current_user, m, f.payload.data),
            _("已确认本人在场并签到。"),
        )
    meeting, back, form = _posted(meeting_id, CardCheckinForm)
    if form is None:
        return redirect(back)
    with back_to(back):
        member, row = services.card_attendee(current_user, meeting, form.payload.data)
    db.session.rollback()  # nothing recorded: the row was only read
    return render_template(
        "branchlife/card_confirm.html",
        meeting=meeting,
        member=member,
        attendance=row,
        payload=form.payload.data,
        photo_url=photos.scan_photo_url(current_user, member),
    )


@bp.route("/meetings/<int:meeting_id>/leave", methods=["POST"])
@login_required
def leave(meeting_id: int):
    return _act(
        meeting_id,
        ReasonForm,
        lambda m, f: services.request_leave(current_user, m, f.reason.data),
        _("请假申请已提交，请等待书记审批。"),
        manage=False,
    )


@bp.route("/meetings/<int:meeting_id>/leave/decide", methods=["POST"])
@login_required
def decide_leave(meeting_id: int):
    return _act(
        meeting_id,
        DecisionForm,
        lambda m, f: services.decide_leave(current_user, m, f.member.data, f.decision.data == "approve"),
        _("已处理请假申请。"),
    )


@bp.route("/meetings/<int:meeting_id>/present", methods=["POST"])
@login_required
def mark_present(meeting_id: int):
    return _act(
        meeting_id,
        PresentForm,
        lambda m, f: services.mark_present(current_user, m, f.member.data, f.reason.data),
        _("已补登出席。"),
    )


@bp.route("/meetings/<int:meeting_id>/finalise", methods=["POST"])
@login_required
def finalise(meeting_id: int):
    return _act(
        meeting_id,
        FinaliseForm,
        lambda m, f: services.finalise_meeting(current_user, m, f.minutes.data, f.lecturer.data),
        _("会议已定稿，出席成员的学时已计入。"),
    )


@bp.route("/meetings/<int:meeting_id>/amend", methods=["POST"])
@login_required
def amend(meeting_id: int):
    return _act(
        meeting_id,
        AmendForm,
        lambda m, f: services.amend_summary(current_user, m, f.minutes.data, f.reason.data),
        _("纪要已更正，原文保留在更正记录中。"),
    )


@bp.route("/meetings/<int:meeting_id>/qr.svg")
@login_required
def checkin_qr(meeting_id: int):
    """The QR code of the check-in page with the current code filled in (for the venue's screen)."""
    meeting = services.get_meeting_for(meeting_id, current_user, manage=True)
    code = services.checkin_code(current_user, meeting)
    target = absolute_url("branchlife.meeting_detail", meeting_id=meeting.id, code=code.code)
    svg = segno.make(target, error="m").svg_inline(scale=6)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


# The compliance board (app/branchlife/compliance_views.py).
bp.add_url_rule("/compliance", "compliance", compliance_views.board_page)
bp.add_url_rule("/compliance.<fmt>", "compliance_export", compliance_views.board_export)
bp.add_url_rule("/compliance/remind", "compliance_remind", compliance_views.board_remind, methods=["POST"])
bp.add_url_rule("/branches/<int:branch_id>", "branch", branch_page.branch_page)
# 党小组 (app/branchlife/group_views.py).
bp.add_url_rule("/branches/<int:branch_id>/groups", "groups", group_views.groups_page)
bp.add_url_rule(
    "/branches/<int:branch_id>/groups", "create_group", group_views.create_group, methods=["POST"]
)
bp.add_url_rule(
    "/groups/<int:group_id>/members", "group_members", group_views.group_members, methods=["POST"]
)
bp.add_url_rule("/groups/<int:group_id>/delete", "delete_group", group_views.delete_group, methods=["POST"])
# Editing or cancelling a planned meeting (app/branchlife/change_views.py).
bp.add_url_rule(
    "/meetings/<int:meeting_id>/edit", "edit_meeting", change_views.edit_meeting, methods=["GET", "POST"]
)
bp.add_url_rule(
    "/meetings/<int:meeting_id>/cancel", "cancel_meeting", change_views.cancel_meeting, methods=["POST"]
)


@bp.route("/meetings/<int:meeting_id>/files", methods=["POST"])
@login_required
def upload(meeting_id: int):
    """A photo (``kind=photo``) or a file for the minutes, before finalising."""
    meeting = services.get_meeting_for(meeting_id, current_user, manage=True)
    back = url_for("branchlife.meeting_detail", meeting_id=meeting.id)
    upload = request.files.get("file")
    if not PageForm().validate_on_submit() or upload is None:
        flash(_("请选择要上传的文件。"), "danger")
        return redirect(back)
    add = services.add_photo if request.form.get("kind") == "photo" else services.add_file
    with back_to(back):
        add(current_user, meeting, upload.stream, upload.filename or "")
    db.session.commit()
    flash(_("已上传。"), "success")
    return redirect(back)


@bp.route("/meetings/<int:meeting_id>/files/<int:file_id>")
@login_required
def file(meeting_id: int, file_id: int):
    meeting = services.get_meeting_for(meeting_id, current_user)
    row = db.session.get(MeetingFile, file_id)
    if row is None or row.meeting_id != meeting.id:
        abort(404)
    thumb = request.args.get("thumb") == "1" and row.thumb_name
    path = evidence.upload_dir() / (row.thumb_name if thumb else row.stored_name)
    if not path.is_file():
        abort(404)
    return send_file(
        path,
        mimetype=row.content_type if not thumb else "image/jpeg",
        as_attachment=row.kind == "file",
        download_name=row.original_name,
        max_age=0,
    )


@bp.route("/meetings/<int:meeting_id>/notes", methods=["POST"])
@login_required
def note(meeting_id: int):
    """组织生活会: a member's own self-criticism, or (``member`` given, secretary) criticism raised."""
    member_id = id_from(request.form.get("member"))
    if member_id and member_id != current_user.id:
        return _act(
            meeting_id,
            NoteForm,
            lambda m, f: services.record_criticism(current_user, m, member_id, f.text.data),
            _("已记录批评意见。"),
        )
    return _act(
        meeting_id,
        NoteForm,
        lambda m, f: services.write_self_criticism(current_user, m, f.text.data),
        _("已保存自我批评。"),
        manage=False,
    )
