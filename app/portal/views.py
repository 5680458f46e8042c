"""The home page, suited to the signed-in user's roles, and the audit log."""

import sqlalchemy as sa
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user

from app.accounts.models import ImportJob, Role, User
from app.core.models import AuditEntry
from app.core.permissions import roles_required
from app.extensions import db
from app.org import services as org_services
from app.org.models import Branch
from app.portal.panels import panels_for

bp = Blueprint("portal", __name__)


@bp.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login"))
    context = {"user": current_user, "panels": panels_for(current_user)}
    if current_user.has_any_role(Role.COORDINATOR):
        context["summary"] = org_services.branch_member_counts(current_user)
    if current_user.is_admin:
        context["counts"] = {
            "users": db.session.scalar(sa.select(sa.func.count(User.id))),
            "branches": db.session.scalar(sa.select(sa.func.count(Branch.id))),
            "locked": db.session.scalar(
                sa.select(sa.func.count(User.id)).where(User.locked_until.is_not(None))
            ),
            "imports": db.session.scalar(sa.select(sa.func.count(ImportJob.id))),
        }
        context["recent_audit"] = db.session.scalars(
            sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(8)
        ).all()
    return render_template("portal/home.html", **context)


@bp.route("/admin/audit")
@roles_required(Role.ADMIN)
def audit_log():
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if action := request.args.get("action"):
        query = query.where(AuditEntry.action.startswith(action))
    page = db.paginate(query, per_page=current_app.config["ITEMS_PER_PAGE"], error_out=False)
    return render_template("portal/audit.html", page=page)
