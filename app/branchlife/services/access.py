"""Who may plan, run and see a branch's meetings.

A branch's secretary (a member of that branch holding 书记 or 副书记) or a coordinator whose subtree
holds the branch plans and runs its meetings; the expected attendees and the branch's members see
them. Everyone else gets 403 — on pages and on the API alike.
"""

import sqlalchemy as sa
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import BranchPosition, User
from app.branchlife.models import Attendance, Meeting
from app.core.errors import DomainError
from app.core.urls import id_from
from app.extensions import db
from app.org import services as org_services
from app.org.models import Branch

SECRETARY_POSITIONS = (BranchPosition.SECRETARY, BranchPosition.DEPUTY_SECRETARY)


class BranchLifeError(DomainError):
    """A refused organisation-life action: ``(message, status=422, field=None)``."""


def is_secretary_of(user: User, branch: Branch) -> bool:
    return (
        user.branch_id == branch.id and user.position in SECRETARY_POSITIONS and bool(user.is_active_account)
    )


def can_plan(user: User, branch: Branch | None) -> bool:
    if branch is None:
        return bool(user.is_admin)
    return is_secretary_of(user, branch) or org_services.can_manage_branch(user, branch)


def is_expected(user: User, meeting: Meeting) -> bool:
    return (
        db.session.scalar(
            sa.select(Attendance.id).where(Attendance.meeting_id == meeting.id, Attendance.user_id == user.id)
        )
        is not None
    )


def can_see(user: User, meeting: Meeting) -> bool:
    if can_plan(user, meeting.branch):
        return True
    if meeting.status == "draft":
        return False
    return (user.branch_id is not None and user.branch_id == meeting.branch_id) or is_expected(user, meeting)


def get_meeting_for(meeting_id, user: User, manage: bool = False) -> Meeting:
    """Load a meeting ``user`` may see (or, with ``manage``, run): 404 when missing, 403 otherwise."""
    meeting = db.session.get(Meeting, meeting_id) if id_from(meeting_id) else None
    if meeting is None:
        raise NotFound()
    allowed = can_plan(user, meeting.branch) if manage else can_see(user, meeting)
    if not allowed:
        raise Forbidden()
    return meeting


def plannable_branches(user: User) -> list[Branch]:
    """The 党支部 ``user`` may plan meetings for: those in their scope, and their own as secretary."""
    branches = {b.id: b for b in org_services.visible_branches(user)}
    if user.branch is not None and is_secretary_of(user, user.branch):
        branches.setdefault(user.branch.id, user.branch)
    return org_services.ordered_tree(list(branches.values()))
