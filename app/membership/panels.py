"""Home-page panel for coordinators: people in their subtree whose development step is overdue."""

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from app.membership.models import DevelopmentReminder, DevelopmentStep
from app.org.models import Branch
from app.org.services import scope_path
from app.portal.panels import register_panel


def overdue_count(user) -> int:
    """People with an overdue alert (sent by the reminder pass) whose step is still not recorded."""
    prefix = scope_path(user)
    if prefix is None:
        return 0
    done = sa.exists().where(
        DevelopmentStep.member_id == DevelopmentReminder.member_id,
        DevelopmentStep.key == DevelopmentReminder.key,
    )
    query = (
        sa.select(sa.func.count(sa.distinct(DevelopmentReminder.member_id)))
        .join(User, User.id == DevelopmentReminder.member_id)
        .where(DevelopmentReminder.kind == "overdue", ~done)
    )
    if prefix:
        query = query.join(Branch, Branch.id == User.branch_id).where(Branch.subtree_filter(prefix))
    return db.session.scalar(query) or 0


def overdue_panel(user):
    count = overdue_count(user)
    return ("membership/panels/overdue.html", {"count": count}) if count else None


def register_membership_panels() -> None:
    register_panel("membership.overdue", overdue_panel, roles=("admin", "coordinator"), order=30)
