"""The compliance board's page, exports, reminders and API resource."""

# Views alike in shape to other blueprints' views by design (load, authorise, one service, commit,
# redirect; import blocks alike too), kept apart: each names its own loader, service and words.

from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import User
from app.branchlife import compliance, kinds, services
from app.branchlife.services.access import SECRETARY_POSITIONS
from app.core import spreadsheets
from app.core.clock import localtoday
from app.core.errors import json_ok
from app.core.forms import PageForm
from app.core.permissions import login_required
from app.core.signals import notification_requested
from app.core.urls import id_from
from app.extensions import db
from app.org.models import Branch


def _year() -> int:
    year = request.args.get("year", type=int)
    today = localtoday()
    return year if year and 2000 <= year <= today.year + 1 else today.year


def node_for(branch_id) -> Branch:
    """The branch whose board ``current_user`` asks for: their own (or, for an admin, the first
    root) when none is named; 404 when missing, 403 when neither secretary nor coordinator of it."""
    if branch_id is None:
        branch = current_user.branch
        if branch is None and current_user.is_admin:
            branch = db.session.scalar(
                sa.select(Branch).where(Branch.parent_id.is_(None)).order_by(Branch.id)
            )
    else:
        branch = db.session.get(Branch, id_from(branch_id)) if id_from(branch_id) else None
    if branch is None:
        abort(404)
    if not services.can_plan(current_user, branch):
        abort(403)
    return branch


@login_required
def board_page():
    node, year = node_for(request.args.get("branch")), _year()
    statuses = compliance.board(node, year, localtoday())
    return render_template(
        "branchlife/compliance.html",
        node=node,
        year=year,
        statuses=statuses,
        totals=compliance.summary(statuses),
        label=kinds.label,
        periods=kinds.PERIOD_LABELS,
        form=PageForm(),
    )


@login_required
def board_export(fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    node, year = node_for(request.args.get("branch")), _year()
    statuses = compliance.board(node, year, localtoday())
    name = f"组织生活达标-{year}-{node.name}"
    if fmt == "csv":
        response = Response(
            "".join(spreadsheets.csv_stream(compliance.EXPORT_HEADER, compliance.export_rows(statuses))),
            mimetype="text/csv; charset=utf-8",
        )
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name + '.csv')}"
        return response
    sheet = spreadsheets.Sheet(
        f"{year}年组织生活", compliance.EXPORT_HEADER, compliance.export_rows(statuses)
    )
    return send_file(
        spreadsheets.xlsx_file([sheet]),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"{name}.xlsx",
    )


@login_required
def board_remind():
    """Remind the secretaries of the branches behind (with an overdue period) under the node."""
    node, year = node_for(request.args.get("branch")), _year()
    if not PageForm().validate_on_submit():
        abort(400)
    behind = [s.branch.id for s in compliance.board(node, year, localtoday()) if s.overdue]
    secretaries = (
        db.session.scalars(
            sa.select(User.id).where(
                User.branch_id.in_(behind),
                User.position.in_(SECRETARY_POSITIONS),
                User.is_active_account.is_(True),
            )
        ).all()
        if behind
        else []
    )
    if secretaries:
        notification_requested.send(
            "branchlife",
            user_ids=list(secretaries),
            title=_("组织生活提醒：本支部有逾期未开的会议"),
            body=_("请查看组织生活达标情况，尽快安排会议。"),
            url=url_for("branchlife.compliance", branch=None),
            kind="branchlife.compliance",
        )
        db.session.commit()
    flash(_("已提醒 %(n)s 个落后支部的 %(m)s 名书记。", n=len(behind), m=len(secretaries)), "success")
    return redirect(url_for("branchlife.compliance", branch=node.id, year=year))


def api_compliance(branch_id: int):
    node, year = node_for(branch_id), _year()
    statuses = compliance.board(node, year, localtoday())
    data = {
        "branch_id": node.id,
        "year": year,
        "kinds": [k.as_json() for k in compliance.summary(statuses)],
    }
    if not (len(statuses) == 1 and statuses[0].branch.id == node.id):
        data["branches"] = [
            {"id": s.branch.id, "name": s.branch.name, "overdue": s.overdue} for s in statuses
        ]
    return json_ok(data)
