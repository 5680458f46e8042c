"""Pages to edit or cancel a planned meeting (before it starts), registered on the branchlife
blueprint by :mod:`app.branchlife.views`."""

# Views alike in shape to other blueprints' views by design (load, authorise, one service, commit,
# redirect; import blocks alike too), kept apart: each names its own loader, service and words.

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.branchlife import kinds, services
from app.branchlife.forms import PlanForm, ReasonForm, plan_from
from app.core.clock import LOCAL_TZ
from app.core.errors import back_to, refused
from app.core.permissions import login_required
from app.extensions import db


def _local_naive(value):
    return value.astimezone(LOCAL_TZ).replace(tzinfo=None) if value is not None else None


@login_required
def edit_meeting(meeting_id: int):
    meeting = services.get_meeting_for(meeting_id, current_user, manage=True)
    form = PlanForm()
    form.kind.choices = [(k, str(v)) for k, v in kinds.KINDS.items()]
    if request.method == "GET":
        form.process(
            data={
                "kind": meeting.kind,
                "title": meeting.title,
                "starts_at": _local_naive(meeting.starts_at),
                "ends_at": _local_naive(meeting.ends_at),
                "place": meeting.place,
                "online_url": meeting.online_url,
                "agenda": meeting.agenda,
                "lecturer": meeting.lecturer_id,
                "is_open": meeting.is_open,
            }
        )
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                services.edit_meeting(current_user, meeting, plan_from(form))
            except services.BranchLifeError as exc:
                status = refused(exc, form)
            else:
                db.session.commit()
                flash(_("会议已修改，已通知参会人员。"), "success")
                return redirect(url_for("branchlife.meeting_detail", meeting_id=meeting.id))
    return render_template(
        "branchlife/edit_form.html",
        form=form,
        meeting=meeting,
        people=[row.member for row in services.attendance_rows(meeting)],
    ), status


@login_required
def cancel_meeting(meeting_id: int):
    meeting = services.get_meeting_for(meeting_id, current_user, manage=True)
    back = url_for("branchlife.meeting_detail", meeting_id=meeting.id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("请填写取消原因"), "danger")
        return redirect(back)
    with back_to(back):
        services.cancel_meeting(current_user, meeting, form.reason.data)
    db.session.commit()
    flash(_("会议已取消，已通知参会人员。"), "success")
    return redirect(back)
