"""Who may do what to a member's lifecycle file: the member, their secretary, the coordinators of
their subtree, admins. Loading helpers answer 404 for a missing member and 403 out of scope."""

# Services alike in shape to other domains' (load, check the rule, change, flush, audit, notify),
# kept apart: each checks its own rules and says so in its own words.

import sqlalchemy as sa
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import BranchPosition, Role, User, UserRole
from app.core.urls import id_from
from app.extensions import db
from app.org.models import Branch
from app.org.services import can_manage_branch


def is_secretary_of(actor: User, branch_id: int | None) -> bool:
    return (
        branch_id is not None
        and actor.branch_id == branch_id
        and actor.position in (BranchPosition.SECRETARY, BranchPosition.DEPUTY_SECRETARY)
    )


def manages(actor: User, member: User) -> bool:
    """A coordinator of the member's subtree, or an admin."""
    if actor.is_admin:
        return True
    return (
        member.branch is not None
        and actor.has_role(Role.COORDINATOR)
        and can_manage_branch(actor, member.branch)
    )


def may_keep_file(actor: User, member: User) -> bool:
    """Record development steps (and see the whole file): secretary, coordinator, admin."""
    return manages(actor, member) or is_secretary_of(actor, member.branch_id)


def may_see_file(actor: User, member: User) -> bool:
    return actor.id == member.id or may_keep_file(actor, member)


# Alike in shape to org's get_branch_for, kept apart: each domain's load answers with its own rule.
def load_checked(model, row_id, actor: User, check):
    """The ``model`` row ``row_id`` if ``check(actor, row)``: 404 when there is none (or the id
    cannot be one), 403 when the check refuses. Membership's members and transfers load through it."""
    row = db.session.get(model, row_id) if id_from(row_id) else None
    if row is None:
        raise NotFound()
    if not check(actor, row):
        raise Forbidden()
    return row


def load_member(member_id, actor: User, check) -> User:
    return load_checked(User, member_id, actor, check)


def secretaries_of(branch_id: int | None) -> list[int]:
    if branch_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(User.id).where(
                User.branch_id == branch_id,
                User.position.in_((BranchPosition.SECRETARY, BranchPosition.DEPUTY_SECRETARY)),
                User.is_active_account.is_(True),
            )
        )
    )


def coordinators_over(branch: Branch | None) -> list[int]:
    """Coordinators whose subtree holds ``branch`` (its own and its ancestors' coordinators)."""
    if branch is None:
        return []
    return list(
        db.session.scalars(
            sa.select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                UserRole.role == Role.COORDINATOR,
                User.branch_id.in_(branch.ancestor_ids),
                User.is_active_account.is_(True),
            )
        )
    )


def may_scan(actor: User) -> bool:
    """Scan and verify QR cards: secretaries, coordinators, admins."""
    return actor.is_admin or actor.has_role(Role.COORDINATOR) or is_secretary_of(actor, actor.branch_id)
