"""The portal's own home-page panels: system health, branch summary, latest notices, my details.

Registered like any other domain's panels (see :mod:`app.portal.panels`).
"""

import sqlalchemy as sa

from app.accounts.models import ImportJob, User
from app.core.models import AuditEntry
from app.extensions import db
from app.org import services as org_services
from app.org.models import Branch
from app.portal import integrity, services
from app.portal.health import run_health_checks
from app.portal.panels import register_panel


def admin_health(user):
    counts = {
        "users": db.session.scalar(sa.select(sa.func.count(User.id))),
        "branches": db.session.scalar(sa.select(sa.func.count(Branch.id))),
        "locked": db.session.scalar(sa.select(sa.func.count(User.id)).where(User.locked_until.is_not(None))),
        "imports": db.session.scalar(sa.select(sa.func.count(ImportJob.id))),
    }
    recent = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(8)).all()
    return "portal/panels/health.html", {
        "checks": run_health_checks(),
        "counts": counts,
        "recent_audit": recent,
    }


def branch_summary(user):
    summary = org_services.branch_member_counts(user)
    return ("portal/panels/branch_summary.html", {"summary": summary}) if summary else None


def latest_notices(user):
    return "portal/panels/notices.html", {
        "items": services.latest_for(user),
        "pending_receipts": services.pending_receipts(user),
    }


def my_details(user):
    return "portal/panels/my_details.html", {"user": user}


def register_portal_panels() -> None:
    register_panel("portal.integrity", integrity.alert_panel, roles=("admin",), order=1)
    register_panel("portal.health", admin_health, roles=("admin",), order=10)
    register_panel("portal.branch_summary", branch_summary, roles=("coordinator", "admin"), order=10)
    register_panel("portal.notices", latest_notices, roles=("member",), order=40)
    register_panel("portal.my_details", my_details, roles=("member",), order=90)
